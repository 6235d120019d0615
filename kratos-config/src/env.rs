//! Environment variables over the files: `KRATOS_SERVER_HTTP_ADDR` overrides
//! `server.http.addr`. A key's name is its path upper-cased with `.` and `_` both
//! written `_`, after the prefix, matched against the keys the earlier sources
//! define; where that is ambiguous, or for a key no file defines, `__` separates
//! levels (`KRATOS_SERVER__HTTP__ADDR`). A value takes the type of the value it
//! overrides (a number stays a number); a new key takes the type its text reads as.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::ConfigError;
use crate::source::{Layer, Source, kind};
use crate::tree;

/// The prefix `#[kratos::main]` uses.
pub const DEFAULT_ENV_PREFIX: &str = "KRATOS_";

/// Environment variables with a prefix, as a config source.
#[derive(Debug, Clone)]
pub struct EnvSource {
    prefix: String,
    vars: Option<BTreeMap<String, String>>,
}

impl EnvSource {
    /// The process environment, variables starting with `prefix` (e.g. `KRATOS_`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            vars: None,
        }
    }

    /// Given variables instead of the process environment (for tests and tools).
    pub fn with_vars(
        prefix: impl Into<String>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        Self {
            prefix: prefix.into(),
            vars: Some(vars.into_iter().collect()),
        }
    }

    fn vars(&self) -> BTreeMap<String, String> {
        match &self.vars {
            Some(vars) => vars.clone(),
            None => std::env::vars().collect(),
        }
    }
}

/// The variable name (without prefix) a dotted key answers to.
fn flat_name(key: &str) -> String {
    key.to_uppercase().replace(['.', '-'], "_")
}

/// Reads `text` as the type of `like`.
fn convert(key: &str, text: &str, like: Option<&Value>) -> Result<Value, ConfigError> {
    let wrong = |what: &str| ConfigError::Env {
        key: key.to_owned(),
        value: text.to_owned(),
        expected: what.to_owned(),
    };
    Ok(match like {
        Some(Value::Bool(_)) => match text.trim() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(wrong("bool")),
        },
        Some(Value::Number(n)) if n.is_f64() => {
            Value::from(text.trim().parse::<f64>().map_err(|_| wrong("number"))?)
        }
        Some(Value::Number(_)) => match text.trim().parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => match text.trim().parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::from(text.trim().parse::<f64>().map_err(|_| wrong("number"))?),
            },
        },
        Some(Value::Array(_)) | Some(Value::Object(_)) => {
            let value: Value = serde_json::from_str(text).map_err(|_| {
                wrong(&format!(
                    "JSON {} (the key holds a {})",
                    kind(like.expect("matched Some")),
                    kind(like.expect("matched Some"))
                ))
            })?;
            value
        }
        Some(_) => Value::String(text.to_owned()),
        None => tree::typed(Value::String(text.to_owned())),
    })
}

impl Source for EnvSource {
    fn name(&self) -> String {
        format!("env {}*", self.prefix)
    }

    fn load(&self, below: &Value) -> Result<Vec<Layer>, ConfigError> {
        let vars = self.vars();
        let mut over = Value::Object(Default::default());
        let mut any = false;
        for key in tree::leaves(below) {
            let name = format!("{}{}", self.prefix, flat_name(&key));
            if let Some(text) = vars.get(&name) {
                tree::set(
                    &mut over,
                    &key,
                    convert(&key, text, tree::lookup(below, &key))?,
                );
                any = true;
            }
        }
        for (name, text) in &vars {
            let Some(rest) = name.strip_prefix(&self.prefix) else {
                continue;
            };
            if !rest.contains("__") {
                continue;
            }
            let key = rest
                .split("__")
                .map(|part| part.to_lowercase())
                .collect::<Vec<_>>()
                .join(".");
            tree::set(
                &mut over,
                &key,
                convert(&key, text, tree::lookup(below, &key))?,
            );
            any = true;
        }
        Ok(if any {
            vec![Layer {
                origin: self.name(),
                tree: over,
            }]
        } else {
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::with_vars(
            "KRATOS_",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn overrides_keys_the_files_define_keeping_their_type() {
        let below = json!({
            "server": {"http": {"addr": "0.0.0.0:8000", "max_conns": 10, "tls": false}},
            "data": {"redis_addr": "x"}
        });
        let layers = env(&[
            ("KRATOS_SERVER_HTTP_ADDR", "127.0.0.1:1"),
            ("KRATOS_SERVER_HTTP_MAX_CONNS", "20"),
            ("KRATOS_SERVER_HTTP_TLS", "true"),
            ("KRATOS_DATA_REDIS_ADDR", "redis:6379"),
            ("OTHER_SERVER_HTTP_ADDR", "ignored"),
        ])
        .load(&below)
        .unwrap();
        assert_eq!(
            layers[0].tree,
            json!({
                "server": {"http": {"addr": "127.0.0.1:1", "max_conns": 20, "tls": true}},
                "data": {"redis_addr": "redis:6379"}
            })
        );
    }

    #[test]
    fn double_underscore_separates_levels_for_new_or_ambiguous_keys() {
        let below = json!({"a": {"b_c": 1, "b": {"c": 2}}});
        let layers = env(&[("KRATOS_A__B__C", "3"), ("KRATOS_NEW__KEY", "on")])
            .load(&below)
            .unwrap();
        assert_eq!(
            layers[0].tree,
            json!({"a": {"b": {"c": 3}}, "new": {"key": "on"}})
        );
        // The flat form names both keys: it sets both.
        let both = env(&[("KRATOS_A_B_C", "9")]).load(&below).unwrap();
        assert_eq!(both[0].tree, json!({"a": {"b_c": 9, "b": {"c": 9}}}));
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_key() {
        let below = json!({"server": {"port": 8000}});
        let err = env(&[("KRATOS_SERVER_PORT", "eighty")])
            .load(&below)
            .unwrap_err();
        assert!(err.to_string().contains("server.port"), "{err}");
        assert!(env(&[]).load(&below).unwrap().is_empty());
    }
}
