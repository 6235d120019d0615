//! JSON Schemas of messages as the protobuf JSON mapping writes them: lowerCamel
//! names, 64-bit integers as strings, bytes as base64, enums by name, maps as
//! objects, Timestamp and Duration as strings. Each message is one component,
//! written the first time something refers to it.

use serde_json::{Map, Value, json};

use crate::descriptor::layout::{full_name, package_of};
use crate::descriptor::message::{
    EnumDescriptor, FieldDescriptor, FieldKind, FieldType, MessageDescriptor, WELL_KNOWN_PACKAGE,
};

/// The kratos error body: what every failed call answers, on any route.
pub(super) fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A kratos error: the HTTP status is `code`; `reason` tells errors with one code apart.",
        "properties": {
            "code": { "type": "integer", "format": "int32" },
            "reason": { "type": "string" },
            "message": { "type": "string" },
            "metadata": { "type": "object", "additionalProperties": { "type": "string" } },
        },
    })
}

/// A Rust doc comment as plain text: the space after `///` dropped, blank edges trimmed.
pub(super) fn doc_text(doc: &str) -> String {
    doc.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

pub(super) fn describe_in(schema: &mut Value, text: &str) {
    if !text.is_empty() {
        schema["description"] = Value::String(text.to_owned());
    }
}

/// `schema` with a description; a `$ref` is wrapped in `allOf`, since OpenAPI 3.0
/// ignores whatever stands beside a `$ref`.
pub(super) fn described(schema: Value, text: &str) -> Value {
    if text.is_empty() {
        schema
    } else if schema.get("$ref").is_some() {
        json!({ "allOf": [schema], "description": text })
    } else {
        let mut schema = schema;
        describe_in(&mut schema, text);
        schema
    }
}

/// The JSON form of a well-known type, which is not the object its fields suggest.
pub(super) fn well_known(message: &MessageDescriptor) -> Option<Value> {
    if message.package != Some(WELL_KNOWN_PACKAGE) {
        return None;
    }
    Some(match message.name {
        "Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "Duration" => json!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
            "description": "Seconds with up to nine decimals and the suffix `s`, e.g. `1.5s`.",
        }),
        "Empty" => json!({ "type": "object" }),
        "FieldMask" => {
            json!({ "type": "string", "description": "Field paths separated by commas." })
        }
        _ => return None,
    })
}

pub(super) fn enum_schema(enumeration: &EnumDescriptor) -> Value {
    let names: Vec<_> = enumeration.values.iter().map(|v| v.name).collect();
    described(
        json!({ "type": "string", "enum": names }),
        &doc_text(enumeration.doc),
    )
}

#[derive(Default)]
pub(super) struct Schemas {
    /// The component schemas written so far, by full proto name.
    pub(super) schemas: Map<String, Value>,
}

impl Schemas {
    /// A reference to the message's schema, written on first use.
    pub(super) fn message_ref(
        &mut self,
        message: &'static MessageDescriptor,
        context: &'static str,
    ) -> Value {
        if let Some(schema) = well_known(message) {
            return schema;
        }
        let package = package_of(message.package, context);
        let name = full_name(package, message.name);
        if !self.schemas.contains_key(&name) {
            // Claimed before its fields are walked, so a message that contains itself stops here.
            self.schemas.insert(name.clone(), Value::Null);
            let schema = self.message_schema(message, package);
            self.schemas.insert(name.clone(), schema);
        }
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    fn message_schema(
        &mut self,
        message: &'static MessageDescriptor,
        package: &'static str,
    ) -> Value {
        let mut properties = Map::new();
        for field in message.fields {
            if let FieldKind::Oneof(oneof) = field.kind {
                let variants = oneof().variants;
                let names: Vec<_> = variants
                    .iter()
                    .map(|v| format!("`{}`", v.json_name))
                    .collect();
                let note = format!(
                    "Part of the oneof `{}`: at most one of {} is set.",
                    field.name,
                    names.join(", ")
                );
                for variant in variants {
                    let text = [doc_text(variant.doc), doc_text(field.doc), note.clone()]
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join("\n\n");
                    let schema = self.field_schema(variant, package);
                    properties.insert(variant.json_name.to_owned(), described(schema, &text));
                }
            } else {
                let schema = self.field_schema(field, package);
                properties.insert(
                    field.json_name.to_owned(),
                    described(schema, &doc_text(field.doc)),
                );
            }
        }
        let mut schema = json!({ "type": "object", "properties": properties });
        describe_in(&mut schema, &doc_text(message.doc));
        schema
    }

    pub(super) fn field_schema(&mut self, field: &FieldDescriptor, package: &'static str) -> Value {
        match field.kind {
            FieldKind::Singular(ty) | FieldKind::Optional(ty) => self.type_schema(ty, package),
            FieldKind::Repeated(ty) => {
                json!({ "type": "array", "items": self.type_schema(ty, package) })
            }
            // JSON object keys are strings whatever the key type.
            FieldKind::Map(_, value) => json!({
                "type": "object",
                "additionalProperties": self.type_schema(value, package),
            }),
            FieldKind::Oneof(_) => json!({ "type": "object" }),
        }
    }

    pub(super) fn type_schema(&mut self, ty: FieldType, package: &'static str) -> Value {
        match ty {
            FieldType::Double => json!({ "type": "number", "format": "double" }),
            FieldType::Float => json!({ "type": "number", "format": "float" }),
            FieldType::Int32 => json!({ "type": "integer", "format": "int32" }),
            FieldType::Uint32 => json!({ "type": "integer", "format": "uint32" }),
            // 64-bit integers travel as strings: JavaScript numbers lose precision past 2^53.
            FieldType::Int64 => json!({ "type": "string", "format": "int64" }),
            FieldType::Uint64 => json!({ "type": "string", "format": "uint64" }),
            FieldType::Bool => json!({ "type": "boolean" }),
            FieldType::String => json!({ "type": "string" }),
            FieldType::Bytes => json!({ "type": "string", "format": "byte" }),
            FieldType::Message(m) => self.message_ref(m(), package),
            FieldType::Enum(e) => enum_schema(e()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::fixtures;

    fn schema_ref(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    #[test]
    fn message_schemas_follow_the_json_mapping() {
        let mut schemas = Schemas::default();
        let everything = schemas.message_ref(&fixtures::EVERYTHING, "helloworld.v1");
        assert_eq!(everything, schema_ref("helloworld.v1.Everything"));
        let page = schemas.message_ref(&fixtures::PAGE, "helloworld.v1");
        assert_eq!(page, schema_ref("common.v1.Page"));
        let everything = &schemas.schemas["helloworld.v1.Everything"];
        assert_eq!(everything["type"], "object");
        assert_eq!(
            everything["description"],
            "Every kind of field.\nSecond line."
        );
        let p = &everything["properties"];
        assert_eq!(p.as_object().unwrap().len(), 24);
        assert_eq!(
            p["doubleValue"],
            json!({ "type": "number", "format": "double" })
        );
        assert_eq!(
            p["floatValue"],
            json!({ "type": "number", "format": "float" })
        );
        assert_eq!(
            p["int32Value"],
            json!({ "type": "integer", "format": "int32" })
        );
        assert_eq!(
            p["int64Value"],
            json!({ "type": "string", "format": "int64", "description": "The id." })
        );
        assert_eq!(
            p["uint32Value"],
            json!({ "type": "integer", "format": "uint32" })
        );
        assert_eq!(
            p["uint64Value"],
            json!({ "type": "string", "format": "uint64" })
        );
        assert_eq!(p["boolValue"], json!({ "type": "boolean" }));
        assert_eq!(
            p["bytesValue"],
            json!({ "type": "string", "format": "byte" })
        );
        assert_eq!(
            p["children"],
            json!({ "type": "array", "items": schema_ref("helloworld.v1.Child") })
        );
        assert_eq!(
            p["counts"],
            json!({ "type": "object", "additionalProperties": { "type": "string", "format": "int64" } })
        );
        assert_eq!(
            p["byName"],
            json!({ "type": "object", "additionalProperties": schema_ref("helloworld.v1.Child") })
        );
        assert_eq!(p["limit"]["type"], "integer");
        assert_eq!(p["child"], schema_ref("helloworld.v1.Child"));
        assert_eq!(
            p["status"],
            json!({ "type": "string", "enum": ["STATUS_UNSPECIFIED", "STATUS_ACTIVE", "STATUS_BLOCKED"], "description": "Where a thing stands." })
        );
        assert_eq!(
            p["createdAt"],
            json!({ "type": "string", "format": "date-time" })
        );
        assert_eq!(p["ttl"]["type"], "string");
        assert_eq!(p["next"], schema_ref("helloworld.v1.Everything"));
        assert_eq!(p["etag"]["type"], "string");
        assert!(p.get("e_tag").is_none() && p.get("contact").is_none());
        // Oneof variants are properties that say which others exclude them.
        let note = "Part of the oneof `contact`: at most one of `email`, `person` is set.";
        assert_eq!(
            p["email"]["description"],
            format!("By mail.\n\nHow to reach it.\n\n{note}")
        );
        assert_eq!(
            p["person"],
            json!({ "allOf": [schema_ref("helloworld.v1.Child")], "description": format!("How to reach it.\n\n{note}") })
        );
        // Unpackaged types are named after the package that reached them.
        let page = &schemas.schemas["common.v1.Page"];
        assert_eq!(page["properties"]["cursor"], schema_ref("common.v1.Child"));
    }

    #[test]
    fn well_known_types_are_inline() {
        let mut schemas = Schemas::default();
        assert_eq!(
            schemas.message_ref(&fixtures::TIMESTAMP, "helloworld.v1"),
            json!({ "type": "string", "format": "date-time" })
        );
        assert_eq!(
            schemas.message_ref(&fixtures::DURATION, "x")["type"],
            "string"
        );
        assert!(schemas.schemas.is_empty());
    }

    #[test]
    fn doc_comments_become_plain_text() {
        assert_eq!(doc_text(" One.\n\n Two.\n"), "One.\n\nTwo.");
        assert_eq!(doc_text(""), "");
    }
}
