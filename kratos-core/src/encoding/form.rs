//! The HTML form codec, `application/x-www-form-urlencoded` (the `form` feature).
//!
//! Reading is [`set_fields`], as for query strings: a key is a dotted field path
//! (`page.size=10`), a repeated key appends to a repeated field, a key that names
//! no field is ignored. Writing flattens the value's serde form the same way:
//! nested fields as dotted keys, each item of a list as the same key again.

use serde_json::Value;

use super::{Codec, CodecError, Decode, Encode, FORM, set_fields};

/// `application/x-www-form-urlencoded`: dotted keys, repeated keys for lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form;

/// Appends `value` under `key` (already holding the dotted path): objects one level
/// deeper, lists as repeated keys, nulls not at all.
fn flatten(out: &mut form_urlencoded::Serializer<'_, String>, key: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            out.append_pair(key, if *b { "true" } else { "false" });
        }
        Value::Number(n) => {
            out.append_pair(key, &n.to_string());
        }
        Value::String(s) => {
            out.append_pair(key, s);
        }
        Value::Array(items) => items.iter().for_each(|item| flatten(out, key, item)),
        Value::Object(fields) => {
            let len = key.len();
            for (name, field) in fields {
                if len > 0 {
                    key.push('.');
                }
                key.push_str(name);
                flatten(out, key, field);
                key.truncate(len);
            }
        }
    }
}

impl Codec for Form {
    fn name(&self) -> &str {
        FORM
    }

    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let value = serde_json::to_value(value.as_serialize()).map_err(CodecError::new)?;
        if !value.is_object() {
            return Err(CodecError::unsupported(
                "a form encodes a message (key=value pairs), not a single value",
            ));
        }
        let mut form = form_urlencoded::Serializer::new(String::new());
        flatten(&mut form, &mut String::new(), &value);
        out.extend_from_slice(form.finish().as_bytes());
        Ok(())
    }

    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError> {
        set_fields(into, bytes).map_err(CodecError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn flattens_nested_and_repeated_values() {
        let value = serde_json::json!({
            "name": "a b",
            "page": {"number": 2, "inner": {"x": true}},
            "tags": ["x", "y"],
            "none": null,
        });
        let mut form = form_urlencoded::Serializer::new(String::new());
        flatten(&mut form, &mut String::new(), &value);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(form.finish().as_bytes())
            .into_owned()
            .collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(
            pairs,
            [
                ("name", "a b"),
                ("page.inner.x", "true"),
                ("page.number", "2"),
                ("tags", "x"),
                ("tags", "y"),
            ]
        );
    }

    #[test]
    fn an_error_round_trips() {
        let error = Error::not_found("GONE", "not here").with_metadata("id", "7");
        let mut bytes = Vec::new();
        Form.encode(&error, &mut bytes).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("metadata.id=7"), "{text}");
        let mut back = Error::default();
        Form.decode(&bytes, &mut back).unwrap();
        assert_eq!(back, error);
    }
}
