//! Validation options -> `#[rule(..)]`: protovalidate's `(buf.validate.field)` and
//! PGV's `(validate.rules)`, read by field name (both use the same names for the
//! rules kratos-rs has), so any version of their .proto files works. A rule that
//! kratos-rs has no form for is dropped with a warning naming the field and rule.

use prost_reflect::{DynamicMessage, FieldDescriptor, FileDescriptor, Value};

use super::diag::Report;
use super::map::value_text;

/// What a field's Rust type takes, as the rules see it.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Str,
    Bytes,
    Number,
    List,
    Map,
    Other,
}

fn shape(ty: &str) -> Shape {
    let ty = ty.strip_prefix("Option<").map_or(ty, |t| &t[..t.len() - 1]);
    match ty {
        "String" => Shape::Str,
        "Vec<u8>" => Shape::Bytes,
        "i32" | "i64" | "u32" | "u64" | "f32" | "f64" => Shape::Number,
        t if t.starts_with("Vec<") => Shape::List,
        t if t.starts_with("HashMap<") => Shape::Map,
        _ => Shape::Other,
    }
}

/// The element type inside `Vec<..>`, or the key and value of `HashMap<.., ..>`.
fn inner(ty: &str) -> Vec<String> {
    let open = ty.find('<').unwrap_or(0);
    let body = &ty[open + 1..ty.len().saturating_sub(1)];
    let mut depth = 0;
    let mut parts = vec![String::new()];
    for c in body.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts.into_iter().map(|p| p.trim().to_owned()).collect()
}

/// Why most dropped rules are dropped.
const NO_RULE: &str = "kratos-rs has no such #[rule]";

/// The `#[rule(..)]` arguments for `field` of Rust type `ty`.
pub fn field_rules(
    report: &mut Report,
    file: &FileDescriptor,
    field: &FieldDescriptor,
    ty: &str,
) -> Vec<String> {
    let options = field.options();
    let Some(rules) = options
        .extensions()
        .find(|(ext, _)| matches!(ext.full_name(), "buf.validate.field" | "validate.rules"))
        .and_then(|(_, v)| v.as_message().cloned())
    else {
        return Vec::new();
    };
    let mut dropped = Vec::new();
    let out = rules_of(&rules, ty, "", &mut dropped);
    for (rule, why) in dropped {
        report.warn(
            file,
            field.path(),
            field.full_name(),
            format!("validation rule `{rule}` dropped: {why}"),
        );
    }
    out
}

/// The rules of one FieldRules message (protovalidate or PGV) for a value of type `ty`.
fn rules_of(
    rules: &DynamicMessage,
    ty: &str,
    prefix: &str,
    dropped: &mut Vec<(String, String)>,
) -> Vec<String> {
    let shape = shape(ty);
    let optional = ty.starts_with("Option<");
    let mut out = Vec::new();
    for (field, value) in rules.fields() {
        let name = field.name();
        let path = format!("{prefix}{name}");
        match (name, value) {
            ("required", Value::Bool(true)) if optional => out.push("required".to_owned()),
            ("message", Value::Message(m)) => {
                for (f, v) in m.fields() {
                    match (f.name(), v) {
                        ("required", Value::Bool(true)) if optional => {
                            out.push("required".to_owned())
                        }
                        ("required" | "skip", Value::Bool(false)) => {}
                        (other, _) => dropped.push((format!("{path}.{other}"), NO_RULE.to_owned())),
                    }
                }
            }
            ("string", Value::Message(m)) if shape == Shape::Str => {
                typed(m, &STRING_RULES, &path, &mut out, dropped)
            }
            ("bytes", Value::Message(m)) if shape == Shape::Bytes => {
                typed(m, &BYTES_RULES, &path, &mut out, dropped)
            }
            ("int32" | "int64" | "uint32" | "uint64" | "float" | "double", Value::Message(m))
                if shape == Shape::Number =>
            {
                typed(m, &NUMBER_RULES, &path, &mut out, dropped)
            }
            ("repeated", Value::Message(m)) if shape == Shape::List => {
                let item = inner(ty).remove(0);
                for (f, v) in m.fields() {
                    match (f.name(), v) {
                        ("min_items" | "max_items", v) => out.push(format!(
                            "{} = {}",
                            f.name(),
                            value_text(v).unwrap_or_default()
                        )),
                        ("unique", Value::Bool(true)) => out.push("unique".to_owned()),
                        ("items", Value::Message(items)) => {
                            let nested = rules_of(items, &item, &format!("{path}.items."), dropped);
                            if !nested.is_empty() {
                                out.push(format!("items({})", nested.join(", ")));
                            }
                        }
                        (other, _) => dropped.push((format!("{path}.{other}"), NO_RULE.to_owned())),
                    }
                }
            }
            ("map", Value::Message(m)) if shape == Shape::Map => {
                let parts = inner(ty);
                for (f, v) in m.fields() {
                    match (f.name(), v) {
                        ("min_pairs" | "max_pairs", v) => out.push(format!(
                            "{} = {}",
                            f.name(),
                            value_text(v).unwrap_or_default()
                        )),
                        (which @ ("keys" | "values"), Value::Message(nested)) => {
                            let ty = if which == "keys" {
                                &parts[0]
                            } else {
                                &parts[1]
                            };
                            let nested = rules_of(nested, ty, &format!("{path}.{which}."), dropped);
                            if !nested.is_empty() {
                                out.push(format!("{which}({})", nested.join(", ")));
                            }
                        }
                        (other, _) => dropped.push((format!("{path}.{other}"), NO_RULE.to_owned())),
                    }
                }
            }
            _ => dropped.push((path, NO_RULE.to_owned())),
        }
    }
    out
}

/// How a typed rule (`string.min_len`, ...) is written.
#[derive(Clone, Copy)]
enum Form {
    /// `name = value`.
    Value,
    /// `name = [values]`.
    List,
    /// `name`, when the option is true.
    Flag,
    /// `len(value)`.
    Len,
}

const STRING_RULES: [(&str, Form); 18] = [
    ("len", Form::Len),
    ("min_len", Form::Value),
    ("max_len", Form::Value),
    ("min_bytes", Form::Value),
    ("max_bytes", Form::Value),
    ("pattern", Form::Value),
    ("prefix", Form::Value),
    ("suffix", Form::Value),
    ("contains", Form::Value),
    ("not_contains", Form::Value),
    ("in", Form::List),
    ("not_in", Form::List),
    ("email", Form::Flag),
    ("uri", Form::Flag),
    ("uuid", Form::Flag),
    ("ip", Form::Flag),
    ("ipv4", Form::Flag),
    ("ipv6", Form::Flag),
];

const BYTES_RULES: [(&str, Form); 3] = [
    ("len", Form::Len),
    ("min_len", Form::Value),
    ("max_len", Form::Value),
];

const NUMBER_RULES: [(&str, Form); 6] = [
    ("gt", Form::Value),
    ("gte", Form::Value),
    ("lt", Form::Value),
    ("lte", Form::Value),
    ("in", Form::List),
    ("not_in", Form::List),
];

fn typed(
    rules: &DynamicMessage,
    known: &[(&str, Form)],
    path: &str,
    out: &mut Vec<String>,
    dropped: &mut Vec<(String, String)>,
) {
    for (field, value) in rules.fields() {
        let name = field.name();
        let form = known.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
        if name == "pattern"
            && let Some(Err(e)) = value.as_str().map(regex::Regex::new)
        {
            // The macro compiles patterns with the `regex` crate: one it rejects would
            // make the imported code fail to build.
            dropped.push((
                format!("{path}.pattern"),
                format!(
                    "the regex crate, which #[rule(pattern)] uses, cannot compile it ({})",
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim_start_matches("error: ")
                ),
            ));
            continue;
        }
        let written = match (form, value) {
            (Some(Form::Flag), Value::Bool(true)) => Some(name.to_owned()),
            (Some(Form::Flag), Value::Bool(false)) => continue,
            (Some(Form::Len), v) => value_text(v).map(|n| format!("len({n})")),
            (Some(Form::Value), v) => value_text(v).map(|t| format!("{name} = {t}")),
            (Some(Form::List), Value::List(items)) => {
                let items: Option<Vec<String>> = items.iter().map(value_text).collect();
                items.map(|items| format!("{name} = [{}]", items.join(", ")))
            }
            _ => None,
        };
        match written {
            Some(w) => out.push(w),
            None => dropped.push((format!("{path}.{name}"), NO_RULE.to_owned())),
        }
    }
}
