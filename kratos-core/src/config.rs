//! Configuration loaded from YAML or JSON files: one tree, read by dotted key or
//! scanned into a user's serde struct.
//!
//! `-conf` names a file or a directory; a directory contributes every `.yaml`,
//! `.yml` and `.json` file in it, in name order, later files deep-merging over
//! earlier ones (maps merge, everything else replaces).

use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;

/// A loaded configuration tree.
#[derive(Debug, Clone, Default)]
pub struct Config {
    root: Value,
}

fn config_error(message: String) -> Error {
    Error::internal_server("CONFIG", message)
}

impl Config {
    /// An empty configuration: every key is missing, so every setting takes its default.
    pub fn empty() -> Self {
        Self {
            root: Value::Object(Default::default()),
        }
    }

    /// A configuration from an already-built tree.
    pub fn from_value(root: Value) -> Self {
        Self { root }
    }

    /// Loads a file, or every config file of a directory in name order.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path)
            .map_err(|e| config_error(format!("cannot read config {}: {e}", path.display())))?;
        let mut config = Self::empty();
        if meta.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| {
                    config_error(format!("cannot list config dir {}: {e}", path.display()))
                })?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && format_of(p).is_some())
                .collect();
            files.sort();
            for file in files {
                config.merge(load_file(&file)?);
            }
        } else {
            config.merge(load_file(path)?);
        }
        Ok(config)
    }

    /// Deep-merges `other` over this tree.
    pub fn merge(&mut self, other: Value) {
        merge_value(&mut self.root, other);
    }

    /// The raw value at a dotted key, if present.
    pub fn value(&self, key: &str) -> Option<&Value> {
        key.split('.')
            .filter(|k| !k.is_empty())
            .try_fold(&self.root, |node, part| node.get(part))
    }

    /// The value at a dotted key deserialized into `T`; `Ok(None)` when the key is missing.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::deserialize(v)
                .map(Some)
                .map_err(|e| config_error(format!("config key {key:?}: {e}"))),
        }
    }

    /// The whole tree deserialized into `T`.
    pub fn scan<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.root).map_err(|e| config_error(format!("config: {e}")))
    }
}

#[derive(Clone, Copy)]
enum Format {
    Yaml,
    Json,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "yaml" | "yml" => Some(Format::Yaml),
        "json" => Some(Format::Json),
        _ => None,
    }
}

fn load_file(path: &Path) -> Result<Value, Error> {
    let format = format_of(path).ok_or_else(|| {
        config_error(format!(
            "config file {} is not .yaml, .yml or .json",
            path.display()
        ))
    })?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| config_error(format!("cannot read config {}: {e}", path.display())))?;
    let value = match format {
        Format::Yaml if text.trim().is_empty() => Value::Object(Default::default()),
        Format::Yaml => serde_norway::from_str::<Value>(&text)
            .map_err(|e| config_error(format!("config {}: {e}", path.display())))?,
        Format::Json => serde_json::from_str::<Value>(&text)
            .map_err(|e| config_error(format!("config {}: {e}", path.display())))?,
    };
    Ok(value)
}

fn merge_value(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) => merge_value(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// Parses a Go-style duration: `"1s"`, `"500ms"`, `"1m30s"`, `"1.5s"`, `"250us"`, `"10ns"`, `"2h"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err("empty duration".to_owned());
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("invalid duration {text:?}: expected a number"));
        }
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit (ns, us, ms, s, m, h)"
                ));
            }
            unit => return Err(format!("invalid duration {text:?}: unknown unit {unit:?}")),
        };
        total += number * nanos_per_unit;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_nanos(total.round() as u64))
}

/// Serde helpers for durations written as Go strings (`"1s"`) or integer nanoseconds.
pub mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Nanos(u64),
    }

    /// Deserializes a `Duration` from `"1s"`-style text or integer nanoseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
        match Raw::deserialize(de)? {
            Raw::Text(text) => super::parse_duration(&text).map_err(serde::de::Error::custom),
            Raw::Nanos(n) => Ok(Duration::from_nanos(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("10").unwrap_err().contains("missing unit"));
        assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn directory_files_merge_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "server:\n  http:\n    addr: 0.0.0.0:8000\n    timeout: 1s\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.yml"),
            "server:\n  http:\n    addr: 127.0.0.1:1\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("ignored.txt"), "not: config").unwrap();
        let config = Config::load(dir.path()).unwrap();
        assert_eq!(
            config.get::<String>("server.http.addr").unwrap().unwrap(),
            "127.0.0.1:1"
        );
        assert_eq!(
            config
                .get::<String>("server.http.timeout")
                .unwrap()
                .unwrap(),
            "1s"
        );
        assert!(config.get::<String>("server.grpc.addr").unwrap().is_none());
        assert!(config.get::<u32>("server.http.addr").is_err());
    }

    #[test]
    fn broken_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.yaml");
        std::fs::write(&file, "server: [unclosed\n").unwrap();
        let err = Config::load(&file).unwrap_err();
        assert!(err.message.contains("bad.yaml"), "{}", err.message);
    }
}
