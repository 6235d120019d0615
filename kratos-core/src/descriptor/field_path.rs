//! Fields by name: a message's wire fields (oneofs opened into their variants) and
//! the dotted field paths that routes name (`thing.id`, by JSON or declared name).
//! The `.proto` text needs them to write `google.api.http` bindings with proto
//! names, OpenAPI to type path and query parameters.

use super::message::{FieldDescriptor, FieldKind, FieldType, MessageDescriptor};

/// The fields that have a number on the wire, in declaration order: a oneof stands
/// for its variants, since those are what a path or a query string can name.
pub(crate) fn wire_fields(
    message: &'static MessageDescriptor,
) -> impl Iterator<Item = &'static FieldDescriptor> {
    message.fields.iter().flat_map(|field| match field.kind {
        FieldKind::Oneof(oneof) => oneof().variants.iter().collect::<Vec<_>>(),
        _ => vec![field],
    })
}

/// The fields along `path`, outermost first; `None` when a segment names no field
/// or crosses a field that is not a single message.
pub(crate) fn resolve(
    message: &'static MessageDescriptor,
    path: &str,
) -> Option<Vec<&'static FieldDescriptor>> {
    let mut current = Some(message);
    let mut fields = Vec::new();
    for segment in path.split('.') {
        let field = wire_fields(current?).find(|f| f.json_name == segment || f.name == segment)?;
        current = match field.kind {
            FieldKind::Singular(FieldType::Message(m))
            | FieldKind::Optional(FieldType::Message(m)) => Some(m()),
            _ => None,
        };
        fields.push(field);
    }
    Some(fields)
}

/// `path` with each segment replaced by its declared (proto) name, as a `.proto`
/// binding must spell it; `None` when the path does not resolve.
#[cfg(feature = "proto-export")]
pub(crate) fn proto_path(message: &'static MessageDescriptor, path: &str) -> Option<String> {
    let fields = resolve(message, path)?;
    Some(fields.iter().map(|f| f.name).collect::<Vec<_>>().join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::fixtures;

    #[test]
    fn oneof_variants_are_wire_fields() {
        let names: Vec<_> = wire_fields(&fixtures::EVERYTHING).map(|f| f.name).collect();
        assert!(
            names.contains(&"email") && names.contains(&"person"),
            "{names:?}"
        );
        assert!(!names.contains(&"contact"), "{names:?}");
    }

    #[test]
    fn resolves_json_and_declared_names_through_messages() {
        let fields = resolve(&fixtures::PATCH_REQUEST, "thing.createdAt").unwrap();
        assert_eq!(
            fields.iter().map(|f| f.name).collect::<Vec<_>>(),
            ["thing", "created_at"]
        );
    }

    #[test]
    #[cfg(feature = "proto-export")]
    fn proto_paths_spell_declared_names() {
        assert_eq!(
            proto_path(&fixtures::PATCH_REQUEST, "thing.created_at").as_deref(),
            Some("thing.created_at")
        );
        assert_eq!(proto_path(&fixtures::PATCH_REQUEST, "thing.nope"), None);
        // A scalar has no fields below it.
        assert_eq!(
            proto_path(&fixtures::PATCH_REQUEST, "thing.stringValue.x"),
            None
        );
    }
}
