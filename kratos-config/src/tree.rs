//! The configuration tree: deep merge (maps merge, lists and scalars replace),
//! lookup by dotted key, the leaf keys with the source that set each, and
//! `${NAME}` / `${NAME:default}` placeholders resolved against the tree and the
//! environment, as Go kratos resolves them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::ConfigError;

/// Merges `over` into `base`; `origin` records, for every leaf `over` sets, which source set it.
pub(crate) fn merge(
    base: &mut Value,
    over: Value,
    prefix: &str,
    origin: &str,
    origins: &mut BTreeMap<String, String>,
) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                let path = join(prefix, &key);
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value, &path, origin, origins),
                    None => {
                        record(&value, &path, origin, origins);
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => {
            // A replaced subtree no longer comes from where its old leaves came from.
            origins.retain(|k, _| !(k == prefix || k.starts_with(&format!("{prefix}."))));
            record(&over, prefix, origin, origins);
            *base = over;
        }
    }
}

fn record(value: &Value, path: &str, origin: &str, origins: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                record(v, &join(path, k), origin, origins);
            }
        }
        _ => {
            origins.insert(path.to_owned(), origin.to_owned());
        }
    }
}

/// `a` + `b` as a dotted key.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The value at a dotted key (`""` is the root); list items by index (`servers.0.addr`).
pub(crate) fn lookup<'a>(root: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.')
        .filter(|k| !k.is_empty())
        .try_fold(root, |node, part| match node {
            Value::Object(map) => map.get(part),
            Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Every leaf key of the tree (maps opened, lists and scalars as leaves), in order.
pub(crate) fn leaves(root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(value: &Value, path: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    walk(v, join(&path, k), out);
                }
            }
            _ if !path.is_empty() => out.push(path),
            _ => {}
        }
    }
    walk(root, String::new(), &mut out);
    out
}

/// Sets the value at a dotted key, creating maps on the way.
pub(crate) fn set(root: &mut Value, key: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = key.split('.').filter(|k| !k.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("made an object above");
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), value);
            return;
        }
        node = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Resolves every `${NAME}` and `${NAME:default}` in the string values of the tree:
/// `NAME` is a dotted key of the tree (itself resolved first), else an environment
/// variable, else the default, else empty (with a warning, as Go kratos leaves it).
/// A string that is one placeholder takes the referenced value's type, and a
/// number or bool written as text becomes one (`port: ${PORT:8000}` is a number).
pub(crate) fn resolve_placeholders(root: &mut Value) -> Result<(), ConfigError> {
    let snapshot = root.clone();
    let mut leaves_with_text = Vec::new();
    collect_strings(root, String::new(), &mut leaves_with_text);
    for key in leaves_with_text {
        let resolved = resolve_key(&snapshot, &key, &mut Vec::new())?;
        set_existing(root, &key, resolved);
    }
    Ok(())
}

fn collect_strings(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                collect_strings(v, join(&path, k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_strings(v, join(&path, &i.to_string()), out);
            }
        }
        Value::String(s) if s.contains("${") => out.push(path),
        _ => {}
    }
}

fn set_existing(root: &mut Value, key: &str, value: Value) {
    let mut node = root;
    for part in key.split('.') {
        node = match node {
            Value::Object(map) => map.get_mut(part).expect("key collected from this tree"),
            Value::Array(items) => {
                let i: usize = part.parse().expect("index collected from this tree");
                &mut items[i]
            }
            _ => return,
        };
    }
    *node = value;
}

/// The value of `key` with its placeholders resolved; `stack` catches cycles.
fn resolve_key(root: &Value, key: &str, stack: &mut Vec<String>) -> Result<Value, ConfigError> {
    let Some(value) = lookup(root, key) else {
        return Ok(Value::Null);
    };
    let Value::String(text) = value else {
        return Ok(value.clone());
    };
    if !text.contains("${") {
        return Ok(value.clone());
    }
    if stack.iter().any(|k| k == key) {
        stack.push(key.to_owned());
        return Err(ConfigError::PlaceholderCycle {
            chain: stack.clone(),
        });
    }
    stack.push(key.to_owned());
    let result = expand(root, key, text, stack);
    stack.pop();
    result
}

fn expand(
    root: &Value,
    key: &str,
    text: &str,
    stack: &mut Vec<String>,
) -> Result<Value, ConfigError> {
    let whole = text.starts_with("${") && text.ends_with('}') && text.matches("${").count() == 1;
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(ConfigError::UnclosedPlaceholder {
                key: key.to_owned(),
                text: text.to_owned(),
            });
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n.trim(), Some(d)),
            None => (inner.trim(), None),
        };
        let value = match lookup(root, name) {
            Some(_) => Some(resolve_key(root, name, stack)?),
            None => std::env::var(name).ok().map(Value::String),
        };
        let value = match (value, default) {
            (Some(v), _) => v,
            (None, Some(d)) => Value::String(d.to_owned()),
            (None, None) => {
                tracing::warn!(
                    key,
                    placeholder = name,
                    "config placeholder names no key and no environment variable: it resolves to empty"
                );
                Value::String(String::new())
            }
        };
        if whole {
            return Ok(typed(value));
        }
        match value {
            Value::String(s) => out.push_str(&s),
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// Text that reads as a number or bool becomes one.
pub(crate) fn typed(value: Value) -> Value {
    let Value::String(text) = &value else {
        return value;
    };
    match text.as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(n) = text.parse::<u64>() {
        return Value::from(n);
    }
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
        && text.contains('.')
    {
        return Value::from(f);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_deep_for_maps_and_replaces_lists_and_records_origins() {
        let mut root = json!({});
        let mut origins = BTreeMap::new();
        merge(
            &mut root,
            json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"}),
            "",
            "one",
            &mut origins,
        );
        merge(
            &mut root,
            json!({"a": {"c": [3], "e": true}}),
            "",
            "two",
            &mut origins,
        );
        assert_eq!(root, json!({"a": {"b": 1, "c": [3], "e": true}, "d": "x"}));
        assert_eq!(origins["a.b"], "one");
        assert_eq!(origins["a.c"], "two");
        assert_eq!(origins["a.e"], "two");
        assert_eq!(leaves(&root), ["a.b", "a.c", "a.e", "d"]);
        assert_eq!(lookup(&root, "a.c.0"), Some(&json!(3)));
    }

    #[test]
    fn placeholders_resolve_against_keys_env_and_defaults() {
        // A variable every test process already has: setting one here would race the
        // other tests of this binary that read the environment (set_var is not thread-safe).
        let path = std::env::var("PATH").expect("PATH is set");
        let mut root = json!({
            "shell_path": "${PATH}",
            "db": {"host": "db.local", "port": "${DB_PORT_UNSET:5432}"},
            "dsn": "postgres://${db.host}:${db.port}/app",
            "copy": "${db.port}",
            "flag": "${UNSET_FLAG_X:true}",
            "list": ["${db.host}", 1],
            "empty": "${NOTHING_AT_ALL_HERE}",
        });
        resolve_placeholders(&mut root).unwrap();
        assert_eq!(root["shell_path"], path.as_str());
        assert_eq!(root["db"]["host"], "db.local");
        assert_eq!(root["db"]["port"], 5432);
        assert_eq!(root["dsn"], "postgres://db.local:5432/app");
        assert_eq!(root["copy"], 5432);
        assert_eq!(root["flag"], true);
        assert_eq!(root["list"][0], "db.local");
        assert_eq!(root["empty"], "");
    }

    #[test]
    fn placeholder_cycles_and_unclosed_placeholders_are_errors() {
        let mut root = json!({"a": "${b}", "b": "${a}"});
        let err = resolve_placeholders(&mut root).unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
        let mut root = json!({"a": "${b"});
        assert!(
            resolve_placeholders(&mut root)
                .unwrap_err()
                .to_string()
                .contains("unclosed")
        );
    }
}
