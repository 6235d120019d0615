//! A field's `#[rule(..)]` rules as protovalidate options, spelled as protovalidate's
//! own documentation spells them: `(buf.validate.field).string = {min_len: 1, max_len: 64}`,
//! `(buf.validate.field).required = true`, and `option (buf.validate.oneof).required = true;`
//! inside a oneof. The values are protobuf text format, which protoc parses against
//! `buf/validate/validate.proto` (written with the export, see `validate_proto`).
//!
//! `#[kratos::message]` refuses two rules that set one protovalidate value (two
//! `min_len`s, `gt` with `gte`, two formats). A hand-built descriptor may still hold
//! them; then the option keeps what binds: the strictest count, the last bound of a
//! side (as the check does), the last format (protovalidate's `well_known` is a oneof).

use crate::descriptor::message::{FieldDescriptor, FieldKind, FieldType, MessageDescriptor};
use crate::field_rules::{Rule, Value};

/// Whether any field of `message` (or of a oneof in it) has rules, so its file
/// imports `buf/validate/validate.proto`.
pub(super) fn message_has_rules(message: &MessageDescriptor) -> bool {
    message.fields.iter().any(|f| {
        !f.rules.is_empty()
            || matches!(f.kind, FieldKind::Oneof(o) if o().variants.iter().any(|v| !v.rules.is_empty()))
    })
}

/// Whether a oneof field is `required`: one of its alternatives must be set.
pub(super) fn oneof_required(field: &FieldDescriptor) -> bool {
    matches!(field.kind, FieldKind::Oneof(_))
        && field.rules.iter().any(|r| matches!(r, Rule::Required))
}

/// The options between a field's brackets, each `(buf.validate.field)...` with
/// `extension` as the option's name (absolute where another scope would capture it).
pub(super) fn field_options(field: &FieldDescriptor, extension: &str) -> Vec<String> {
    let mut out = Vec::new();
    if field.rules.is_empty() {
        return out;
    }
    let typed = match field.kind {
        FieldKind::Singular(ty) | FieldKind::Optional(ty) => {
            if field.rules.iter().any(|r| matches!(r, Rule::Required)) {
                out.push(format!("{extension}.required = true"));
            }
            type_rules(ty, field.rules)
        }
        FieldKind::Repeated(ty) => repeated_rules(ty, field.rules),
        FieldKind::Map(key, value) => map_rules(key, value, field.rules),
        // A oneof's `required` is the oneof's own option; see `oneof_required`.
        FieldKind::Oneof(_) => None,
    };
    if let Some((name, text)) = typed {
        out.push(format!("{extension}.{name} = {}", text.render()));
    }
    out
}

/// The fields of one rules message in text format, in the order first set.
#[derive(Default)]
struct Text(Vec<(&'static str, String)>);

impl Text {
    fn set(&mut self, key: &'static str, value: String) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Sets `key` as the one member of `group` (a protovalidate oneof) that is set.
    fn set_one_of(&mut self, group: &[&str], key: &'static str, value: String) {
        self.0.retain(|(k, _)| *k == key || !group.contains(k));
        self.set(key, value);
    }

    /// A lower count: the largest one given is the one that binds.
    fn at_least(&mut self, key: &'static str, n: usize) {
        let stricter = self.get(key).is_none_or(|old| n > old);
        if stricter {
            self.set(key, n.to_string());
        }
    }

    /// An upper count: the smallest one given is the one that binds.
    fn at_most(&mut self, key: &'static str, n: usize) {
        let stricter = self.get(key).is_none_or(|old| n < old);
        if stricter {
            self.set(key, n.to_string());
        }
    }

    fn get(&self, key: &str) -> Option<usize> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    fn render(&self) -> String {
        let fields: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{{{}}}", fields.join(", "))
    }
}

const FORMATS: &[&str] = &["email", "uri", "uuid", "ip", "ipv4", "ipv6"];

/// The rules of one value of type `ty` (a field, an item, a map key or value): the
/// name of its member of `FieldRules.type` and that message's text; `None` when no
/// rule of `ty` is among `rules`.
fn type_rules(ty: FieldType, rules: &[Rule]) -> Option<(&'static str, Text)> {
    let mut text = Text::default();
    let name = match ty {
        FieldType::String => {
            for rule in rules {
                string_rule(&mut text, rule);
            }
            "string"
        }
        FieldType::Bytes => {
            for rule in rules {
                match rule {
                    Rule::MinLen(n) => text.at_least("min_len", *n),
                    Rule::MaxLen(n) => text.at_most("max_len", *n),
                    Rule::Len(n) => text.set("len", n.to_string()),
                    _ => {}
                }
            }
            "bytes"
        }
        FieldType::Double | FieldType::Float => {
            number_rules(&mut text, rules);
            if matches!(ty, FieldType::Double) {
                "double"
            } else {
                "float"
            }
        }
        FieldType::Int32 | FieldType::Int64 | FieldType::Uint32 | FieldType::Uint64 => {
            number_rules(&mut text, rules);
            ty.scalar_name().unwrap_or_default()
        }
        FieldType::Bool | FieldType::Message(_) | FieldType::Enum(_) => return None,
    };
    (!text.0.is_empty()).then_some((name, text))
}

fn string_rule(text: &mut Text, rule: &Rule) {
    match rule {
        Rule::MinLen(n) => text.at_least("min_len", *n),
        Rule::MaxLen(n) => text.at_most("max_len", *n),
        Rule::Len(n) => text.set("len", n.to_string()),
        Rule::MinBytes(n) => text.at_least("min_bytes", *n),
        Rule::MaxBytes(n) => text.at_most("max_bytes", *n),
        Rule::Pattern(p) => text.set("pattern", quoted(p.source())),
        Rule::Prefix(s) => text.set("prefix", quoted(s)),
        Rule::Suffix(s) => text.set("suffix", quoted(s)),
        Rule::Contains(s) => text.set("contains", quoted(s)),
        Rule::NotContains(s) => text.set("not_contains", quoted(s)),
        Rule::Email => text.set_one_of(FORMATS, "email", "true".to_owned()),
        Rule::Uri => text.set_one_of(FORMATS, "uri", "true".to_owned()),
        Rule::Uuid => text.set_one_of(FORMATS, "uuid", "true".to_owned()),
        Rule::Ip => text.set_one_of(FORMATS, "ip", "true".to_owned()),
        Rule::Ipv4 => text.set_one_of(FORMATS, "ipv4", "true".to_owned()),
        Rule::Ipv6 => text.set_one_of(FORMATS, "ipv6", "true".to_owned()),
        Rule::In(list) => text.set("in", list_text(list)),
        Rule::NotIn(list) => text.set("not_in", list_text(list)),
        _ => {}
    }
}

fn number_rules(text: &mut Text, rules: &[Rule]) {
    const LOWER: &[&str] = &["gt", "gte"];
    const UPPER: &[&str] = &["lt", "lte"];
    for rule in rules {
        match rule {
            Rule::Gt(v) => text.set_one_of(LOWER, "gt", value_text(v)),
            Rule::Gte(v) => text.set_one_of(LOWER, "gte", value_text(v)),
            Rule::Lt(v) => text.set_one_of(UPPER, "lt", value_text(v)),
            Rule::Lte(v) => text.set_one_of(UPPER, "lte", value_text(v)),
            Rule::In(list) => text.set("in", list_text(list)),
            Rule::NotIn(list) => text.set("not_in", list_text(list)),
            _ => {}
        }
    }
}

/// `RepeatedRules`: counts, `unique`, and the items' own `FieldRules`.
fn repeated_rules(ty: FieldType, rules: &[Rule]) -> Option<(&'static str, Text)> {
    let mut text = Text::default();
    for rule in rules {
        match rule {
            Rule::MinItems(n) => text.at_least("min_items", *n),
            Rule::MaxItems(n) => text.at_most("max_items", *n),
            Rule::Unique => text.set("unique", "true".to_owned()),
            Rule::Items(inner) => {
                if let Some(items) = nested(ty, inner) {
                    text.set("items", items);
                }
            }
            _ => {}
        }
    }
    (!text.0.is_empty()).then_some(("repeated", text))
}

/// `MapRules`: counts, and the keys' and values' own `FieldRules`.
fn map_rules(key: FieldType, value: FieldType, rules: &[Rule]) -> Option<(&'static str, Text)> {
    let mut text = Text::default();
    for rule in rules {
        match rule {
            Rule::MinPairs(n) => text.at_least("min_pairs", *n),
            Rule::MaxPairs(n) => text.at_most("max_pairs", *n),
            Rule::Keys(inner) => {
                if let Some(keys) = nested(key, inner) {
                    text.set("keys", keys);
                }
            }
            Rule::Values(inner) => {
                if let Some(values) = nested(value, inner) {
                    text.set("values", values);
                }
            }
            _ => {}
        }
    }
    (!text.0.is_empty()).then_some(("map", text))
}

/// A `FieldRules` message for an item, key or value: `{string: {min_len: 1}}`.
fn nested(ty: FieldType, rules: &[Rule]) -> Option<String> {
    let (name, text) = type_rules(ty, rules)?;
    Some(format!("{{{name}: {}}}", text.render()))
}

fn list_text(list: &[Value]) -> String {
    let items: Vec<String> = list.iter().map(value_text).collect();
    format!("[{}]", items.join(", "))
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        // Rust writes every finite f64 without an exponent, which text format reads.
        Value::Float(x) => x.to_string(),
        Value::Str(s) => quoted(s),
    }
}

/// A text-format string literal: quotes, backslashes and control characters escaped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind, rules: &'static [Rule]) -> FieldDescriptor {
        FieldDescriptor {
            name: "f",
            json_name: "f",
            number: 1,
            kind,
            doc: "",
            rules,
        }
    }

    const EXT: &str = "(buf.validate.field)";

    #[test]
    fn the_binding_count_and_the_last_bound_and_format_are_kept() {
        static RULES: [Rule; 5] = [
            Rule::MinLen(1),
            Rule::MinLen(3),
            Rule::MaxLen(9),
            Rule::Email,
            Rule::Uuid,
        ];
        let f = field(FieldKind::Singular(FieldType::String), &RULES);
        assert_eq!(
            field_options(&f, EXT),
            ["(buf.validate.field).string = {min_len: 3, max_len: 9, uuid: true}"]
        );
        static BOUNDS: [Rule; 3] = [
            Rule::Gt(Value::Int(1)),
            Rule::Lte(Value::Int(5)),
            Rule::Gte(Value::Int(2)),
        ];
        let f = field(FieldKind::Singular(FieldType::Int64), &BOUNDS);
        assert_eq!(
            field_options(&f, EXT),
            ["(buf.validate.field).int64 = {lte: 5, gte: 2}"]
        );
    }

    #[test]
    fn strings_are_escaped_as_text_format_reads_them() {
        assert_eq!(quoted("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\001é\"");
    }

    #[test]
    fn validate_proto_is_written_after_google_api_and_before_the_packages() {
        use crate::descriptor::fixtures::{GREETER, RULES};
        let files = super::super::proto_files(&[&GREETER, &RULES]);
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "google/api/http.proto",
                "google/api/annotations.proto",
                "buf/validate/validate.proto",
                "common/v1/common.proto",
                "helloworld/v1/greeter.proto",
                "rules/v1/rules.proto",
            ]
        );
    }

    #[test]
    fn a_package_with_a_buf_segment_names_the_option_absolutely() {
        use crate::descriptor::ServiceDescriptor;
        use crate::descriptor::fixtures::{CHECK, RULES};
        static SHADOWED: ServiceDescriptor = ServiceDescriptor {
            package: "acme.buf.v1",
            name: "Rules",
            full_name: "acme.buf.v1.Rules",
            methods: &[&CHECK],
            doc: "",
        };
        let files = super::super::proto_files(&[&SHADOWED, &RULES]);
        let text = &files
            .iter()
            .find(|(p, _)| p == "acme/buf/v1/rules.proto")
            .unwrap()
            .1;
        assert!(
            text.contains(
                "  string name = 1 [(.buf.validate.field).string = {min_len: 1, max_len: 64}];\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("    option (.buf.validate.oneof).required = true;\n"),
            "{text}"
        );
    }

    #[test]
    fn no_rules_no_options() {
        let f = field(FieldKind::Singular(FieldType::Bool), &[]);
        assert!(field_options(&f, EXT).is_empty());
    }
}
