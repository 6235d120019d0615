//! A typed view of one key of the configuration ([`ConfigValue`]), Go-style
//! durations, and the errors that name the key and the file that set it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ConfigError;
use crate::source::kind;
use crate::tree;

/// One version of the merged tree, with the source of every leaf.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) root: Value,
    pub(crate) origins: BTreeMap<String, String>,
}

impl Snapshot {
    /// The source that set `key` or, for a map, the one that set its first leaf.
    pub(crate) fn origin(&self, key: &str) -> Option<&str> {
        if let Some(origin) = self.origins.get(key) {
            return Some(origin);
        }
        let prefix = format!("{key}.");
        self.origins
            .range(prefix.clone()..)
            .next()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v.as_str())
    }

    /// The value at `key` does not fit: `reason` says why; the error names the key and its source.
    pub(crate) fn invalid(&self, key: &str, reason: String) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_owned(),
            origin: self.origin(key).map(str::to_owned),
            reason,
        }
    }

    /// `T` from the value at `key` (the root for `""`); errors name the innermost key that failed.
    pub(crate) fn scan<T: DeserializeOwned>(&self, key: &str) -> Result<T, ConfigError> {
        let null = Value::Null;
        let value = tree::lookup(&self.root, key).unwrap_or(&null);
        serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
            let inner = e.path().to_string();
            let full = match (key.is_empty(), inner.as_str()) {
                (_, ".") => key.to_owned(),
                (true, inner) => inner.to_owned(),
                (false, inner) => format!("{key}.{inner}"),
            };
            let full = if full.is_empty() {
                "<root>".to_owned()
            } else {
                full
            };
            self.invalid(&full, e.inner().to_string())
        })
    }
}

/// The value at one dotted key, read as the type the caller asks for.
#[derive(Debug, Clone)]
pub struct ConfigValue {
    snapshot: Arc<Snapshot>,
    key: String,
}

impl ConfigValue {
    pub(crate) fn new(snapshot: Arc<Snapshot>, key: &str) -> Self {
        Self {
            snapshot,
            key: key.to_owned(),
        }
    }

    /// The dotted key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The raw value, if the key is present.
    pub fn raw(&self) -> Option<&Value> {
        tree::lookup(&self.snapshot.root, &self.key).filter(|v| !v.is_null())
    }

    /// Whether the key is present (and not null).
    pub fn exists(&self) -> bool {
        self.raw().is_some()
    }

    /// The source (file path, `env KRATOS_*`, ...) that set the key.
    pub fn origin(&self) -> Option<&str> {
        self.snapshot.origin(&self.key)
    }

    fn present(&self) -> Result<&Value, ConfigError> {
        self.raw().ok_or_else(|| ConfigError::Missing {
            key: self.key.clone(),
        })
    }

    fn wrong(&self, value: &Value, want: &'static str) -> ConfigError {
        ConfigError::WrongType {
            key: self.key.clone(),
            origin: self.origin().map(str::to_owned),
            found: kind(value),
            value: value.to_string(),
            expected: want,
        }
    }

    /// The value as text; numbers and bools give their text.
    pub fn string(&self) -> Result<String, ConfigError> {
        match self.present()? {
            Value::String(s) => Ok(s.clone()),
            v @ (Value::Number(_) | Value::Bool(_)) => Ok(v.to_string()),
            v => Err(self.wrong(v, "a string")),
        }
    }

    /// The value as an integer; text that reads as one is accepted.
    pub fn int(&self) -> Result<i64, ConfigError> {
        match self.present()? {
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().expect("checked")),
            v @ Value::String(s) => s.trim().parse().map_err(|_| self.wrong(v, "an integer")),
            v => Err(self.wrong(v, "an integer")),
        }
    }

    /// The value as a float; integers and text that reads as a number are accepted.
    pub fn float(&self) -> Result<f64, ConfigError> {
        match self.present()? {
            Value::Number(n) => Ok(n.as_f64().unwrap_or_default()),
            v @ Value::String(s) => s.trim().parse().map_err(|_| self.wrong(v, "a number")),
            v => Err(self.wrong(v, "a number")),
        }
    }

    /// The value as a bool; `"true"`/`"false"` text is accepted.
    pub fn bool(&self) -> Result<bool, ConfigError> {
        match self.present()? {
            Value::Bool(b) => Ok(*b),
            v @ Value::String(s) => match s.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(self.wrong(v, "a bool")),
            },
            v => Err(self.wrong(v, "a bool")),
        }
    }

    /// The value as a duration: `"1s"`, `"500ms"`, `"1m30s"`, or integer nanoseconds.
    pub fn duration(&self) -> Result<Duration, ConfigError> {
        match self.present()? {
            Value::Number(n) if n.as_u64().is_some() => {
                Ok(Duration::from_nanos(n.as_u64().expect("checked")))
            }
            Value::String(s) => {
                parse_duration(s).map_err(|reason| self.snapshot.invalid(&self.key, reason))
            }
            v => Err(self.wrong(v, "a duration like \"1s\"")),
        }
    }

    /// The value deserialized into `T` (a struct, a list, a map, a scalar).
    pub fn scan<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        self.present()?;
        self.snapshot.scan(&self.key)
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
