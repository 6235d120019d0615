//! The services as a protobuf `FileDescriptorSet`: what gRPC reflection serves and
//! what `protoc --include_imports --descriptor_set_out` would write for the exported
//! `.proto` files, field for field (json names, proto3 `optional` as protoc's
//! synthetic oneofs, maps as nested `XxxEntry` messages).
//!
//! The `google.api.http` options are left out on purpose: `prost_types::MethodOptions`
//! keeps no extension fields, and carrying them would make every file depend on
//! google/api/annotations.proto and, through it, google/protobuf/descriptor.proto,
//! which a reflection client would then ask for. The routes live in the `.proto` text
//! (`proto_text`) and in OpenAPI (`openapi`), each behind its own feature. Comments
//! are left out too (no `source_code_info`), as protoc does without
//! `--include_source_info`.

use std::collections::HashSet;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, FileDescriptorSet, MessageOptions, MethodDescriptorProto,
    OneofDescriptorProto, ServiceDescriptorProto,
};

use super::ServiceDescriptor;
use super::layout::{self, ProtoFile, full_name, map_entry_name, package_of};
use super::message::{EnumDescriptor, FieldDescriptor, FieldKind, FieldType, MessageDescriptor};

/// Every file the services need, dependencies first, well-known ones included.
pub fn file_descriptor_set(services: &[&'static ServiceDescriptor]) -> FileDescriptorSet {
    FileDescriptorSet {
        file: layout::plan(services).iter().map(file_proto).collect(),
    }
}

fn file_proto(file: &ProtoFile) -> FileDescriptorProto {
    FileDescriptorProto {
        name: Some(file.path.clone()),
        package: (!file.package.is_empty()).then(|| file.package.to_owned()),
        dependency: file.imports.iter().cloned().collect(),
        message_type: file
            .messages
            .iter()
            .map(|m| message_proto(m, file.package))
            .collect(),
        enum_type: file.enums.iter().map(|e| enum_proto(e)).collect(),
        service: file
            .services
            .iter()
            .map(|s| service_proto(s, file.package))
            .collect(),
        syntax: Some("proto3".to_owned()),
        ..Default::default()
    }
}

/// `.package.Name`: descriptors name types fully qualified, with a leading dot.
fn type_name(declared: Option<&'static str>, name: &str, package: &'static str) -> String {
    format!(".{}", full_name(package_of(declared, package), name))
}

fn message_proto(message: &MessageDescriptor, package: &'static str) -> DescriptorProto {
    let mut out = DescriptorProto {
        name: Some(message.name.to_owned()),
        ..Default::default()
    };
    let scope = format!(".{}", full_name(package, message.name));
    for field in message.fields {
        if let FieldKind::Oneof(oneof) = field.kind {
            let index = out.oneof_decl.len() as i32;
            // The field's name, not the Rust enum's: it is unique in the message
            // and what prost-build names the field when the .proto is compiled back.
            out.oneof_decl.push(OneofDescriptorProto {
                name: Some(field.name.to_owned()),
                options: None,
            });
            for variant in oneof().numbered(field.number) {
                push_field(&mut out, &variant, package, &scope, Some(index));
            }
        } else {
            push_field(&mut out, field, package, &scope, None);
        }
    }
    add_synthetic_oneofs(&mut out);
    out
}

/// Adds one field; a map also adds its entry message, nested as protoc nests it.
fn push_field(
    out: &mut DescriptorProto,
    field: &FieldDescriptor,
    package: &'static str,
    scope: &str,
    oneof_index: Option<i32>,
) {
    let mut proto = FieldDescriptorProto {
        name: Some(field.name.to_owned()),
        number: Some(field.number as i32),
        label: Some(Label::Optional as i32),
        json_name: Some(field.json_name.to_owned()),
        oneof_index,
        ..Default::default()
    };
    match field.kind {
        FieldKind::Singular(ty) => set_type(&mut proto, ty, package),
        FieldKind::Optional(ty) => {
            set_type(&mut proto, ty, package);
            proto.proto3_optional = Some(true);
        }
        FieldKind::Repeated(ty) => {
            set_type(&mut proto, ty, package);
            proto.label = Some(Label::Repeated as i32);
        }
        FieldKind::Map(key, value) => {
            let entry = map_entry_name(field.name);
            proto.label = Some(Label::Repeated as i32);
            proto.r#type = Some(Type::Message as i32);
            proto.type_name = Some(format!("{scope}.{entry}"));
            out.nested_type.push(map_entry(entry, key, value, package));
        }
        // A oneof inside a oneof has no proto form; the message macro never writes one.
        FieldKind::Oneof(_) => return,
    }
    out.field.push(proto);
}

fn set_type(proto: &mut FieldDescriptorProto, ty: FieldType, package: &'static str) {
    let (ty, name) = match ty {
        FieldType::Double => (Type::Double, None),
        FieldType::Float => (Type::Float, None),
        FieldType::Int32 => (Type::Int32, None),
        FieldType::Int64 => (Type::Int64, None),
        FieldType::Uint32 => (Type::Uint32, None),
        FieldType::Uint64 => (Type::Uint64, None),
        FieldType::Bool => (Type::Bool, None),
        FieldType::String => (Type::String, None),
        FieldType::Bytes => (Type::Bytes, None),
        FieldType::Message(m) => {
            let m = m();
            (Type::Message, Some(type_name(m.package, m.name, package)))
        }
        FieldType::Enum(e) => {
            let e = e();
            (Type::Enum, Some(type_name(e.package, e.name, package)))
        }
    };
    proto.r#type = Some(ty as i32);
    proto.type_name = name;
}

/// The nested message protoc writes for `map<K, V> field`: `FieldEntry { K key = 1; V value = 2; }`.
fn map_entry(
    name: String,
    key: FieldType,
    value: FieldType,
    package: &'static str,
) -> DescriptorProto {
    let entry_field = |field_name: &str, number, ty| {
        let mut proto = FieldDescriptorProto {
            name: Some(field_name.to_owned()),
            number: Some(number),
            label: Some(Label::Optional as i32),
            json_name: Some(field_name.to_owned()),
            ..Default::default()
        };
        set_type(&mut proto, ty, package);
        proto
    };
    DescriptorProto {
        name: Some(name),
        field: vec![entry_field("key", 1, key), entry_field("value", 2, value)],
        options: Some(MessageOptions {
            map_entry: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Gives each proto3 `optional` field a one-field oneof after the real ones, named
/// `_field` (with `X`s prepended while the name is taken), which is how protoc
/// records presence and what every runtime reading the descriptor expects.
fn add_synthetic_oneofs(message: &mut DescriptorProto) {
    let mut taken: HashSet<String> = message
        .field
        .iter()
        .filter_map(|f| f.name.clone())
        .chain(message.oneof_decl.iter().filter_map(|o| o.name.clone()))
        .collect();
    for field in &mut message.field {
        if field.proto3_optional != Some(true) {
            continue;
        }
        let name = field.name.as_deref().unwrap_or_default();
        let mut oneof = if name.starts_with('_') {
            name.to_owned()
        } else {
            format!("_{name}")
        };
        while taken.contains(&oneof) {
            oneof.insert(0, 'X');
        }
        taken.insert(oneof.clone());
        field.oneof_index = Some(message.oneof_decl.len() as i32);
        message.oneof_decl.push(OneofDescriptorProto {
            name: Some(oneof),
            options: None,
        });
    }
}

fn enum_proto(enumeration: &EnumDescriptor) -> EnumDescriptorProto {
    EnumDescriptorProto {
        name: Some(enumeration.name.to_owned()),
        value: enumeration
            .values
            .iter()
            .map(|v| EnumValueDescriptorProto {
                name: Some(v.name.to_owned()),
                number: Some(v.number),
                options: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn service_proto(service: &ServiceDescriptor, package: &'static str) -> ServiceDescriptorProto {
    ServiceDescriptorProto {
        name: Some(service.name.to_owned()),
        method: service
            .methods
            .iter()
            .map(|m| {
                let (request, reply) = ((m.request)(), (m.reply)());
                MethodDescriptorProto {
                    name: Some(m.name.to_owned()),
                    input_type: Some(type_name(request.package, request.name, package)),
                    output_type: Some(type_name(reply.package, reply.name, package)),
                    // Unset rather than false for unary methods, as protoc writes them.
                    client_streaming: m.shape.client_streams().then_some(true),
                    server_streaming: m.shape.server_streams().then_some(true),
                    ..Default::default()
                }
            })
            .collect(),
        options: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::fixtures;

    fn set() -> FileDescriptorSet {
        file_descriptor_set(&[&fixtures::GREETER, &fixtures::CATALOG])
    }

    fn file<'a>(set: &'a FileDescriptorSet, name: &str) -> &'a FileDescriptorProto {
        set.file.iter().find(|f| f.name() == name).unwrap()
    }

    fn message<'a>(file: &'a FileDescriptorProto, name: &str) -> &'a DescriptorProto {
        file.message_type.iter().find(|m| m.name() == name).unwrap()
    }

    fn field<'a>(message: &'a DescriptorProto, name: &str) -> &'a FieldDescriptorProto {
        message.field.iter().find(|f| f.name() == name).unwrap()
    }

    #[test]
    fn one_file_per_package_with_its_dependencies() {
        let set = set();
        let names: Vec<_> = set.file.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "common/v1/common.proto",
                "google/protobuf/duration.proto",
                "google/protobuf/timestamp.proto",
                "helloworld/v1/greeter.proto",
                "shop/v1/catalog.proto",
            ]
        );
        let greeter = file(&set, "helloworld/v1/greeter.proto");
        assert_eq!(greeter.package(), "helloworld.v1");
        assert_eq!(greeter.syntax(), "proto3");
        assert_eq!(
            greeter.dependency,
            [
                "common/v1/common.proto",
                "google/protobuf/duration.proto",
                "google/protobuf/timestamp.proto"
            ]
        );
        let timestamp = file(&set, "google/protobuf/timestamp.proto");
        assert_eq!(timestamp.package(), "google.protobuf");
        let ts = message(timestamp, "Timestamp");
        assert_eq!(
            ts.field
                .iter()
                .map(|f| (f.name(), f.number(), f.r#type()))
                .collect::<Vec<_>>(),
            [("seconds", 1, Type::Int64), ("nanos", 2, Type::Int32)]
        );
    }

    #[test]
    fn services_and_methods() {
        let set = set();
        let greeter = file(&set, "helloworld/v1/greeter.proto");
        let service = &greeter.service[0];
        assert_eq!(service.name(), "Greeter");
        let say = &service.method[0];
        assert_eq!(
            (say.name(), say.input_type(), say.output_type()),
            (
                "SayHello",
                ".helloworld.v1.HelloRequest",
                ".helloworld.v1.HelloReply"
            )
        );
        assert_eq!(say.client_streaming, None);
        assert!(say.options.is_none());
        assert_eq!(service.method.len(), 5);
        let catalog = file(&set, "shop/v1/catalog.proto");
        assert_eq!(catalog.dependency, ["common/v1/common.proto"]);
        // Child is copied into shop.v1, Page stays in common.v1.
        let request = message(catalog, "ListRequest");
        assert_eq!(field(request, "page").type_name(), ".common.v1.Page");
        assert_eq!(field(request, "filter").type_name(), ".shop.v1.Child");
        let page = message(file(&set, "common/v1/common.proto"), "Page");
        assert_eq!(field(page, "cursor").type_name(), ".common.v1.Child");
    }

    #[test]
    fn every_kind_of_field() {
        let set = set();
        let everything = message(file(&set, "helloworld/v1/greeter.proto"), "Everything");
        let f = |name| field(everything, name);
        let kind = |name| {
            let f = f(name);
            (
                f.number(),
                f.label(),
                f.r#type(),
                f.type_name(),
                f.oneof_index,
            )
        };
        assert_eq!(
            kind("double_value"),
            (1, Label::Optional, Type::Double, "", None)
        );
        assert_eq!(
            kind("uint64_value"),
            (6, Label::Optional, Type::Uint64, "", None)
        );
        assert_eq!(
            kind("bytes_value"),
            (9, Label::Optional, Type::Bytes, "", None)
        );
        assert_eq!(kind("tags"), (10, Label::Repeated, Type::String, "", None));
        assert_eq!(
            kind("children"),
            (
                11,
                Label::Repeated,
                Type::Message,
                ".helloworld.v1.Child",
                None
            )
        );
        assert_eq!(
            kind("status"),
            (
                16,
                Label::Optional,
                Type::Enum,
                ".helloworld.v1.Status",
                None
            )
        );
        assert_eq!(
            kind("created_at"),
            (
                20,
                Label::Optional,
                Type::Message,
                ".google.protobuf.Timestamp",
                None
            )
        );
        assert_eq!(
            kind("next"),
            (
                22,
                Label::Optional,
                Type::Message,
                ".helloworld.v1.Everything",
                None
            )
        );
        assert_eq!(f("int32_value").json_name(), "int32Value");
        assert_eq!(f("e_tag").json_name(), "etag");

        // Maps: repeated entries, nested in field order, marked map_entry.
        assert_eq!(
            kind("counts"),
            (
                12,
                Label::Repeated,
                Type::Message,
                ".helloworld.v1.Everything.CountsEntry",
                None
            )
        );
        assert_eq!(
            f("by_name").type_name(),
            ".helloworld.v1.Everything.ByNameEntry"
        );
        let entries: Vec<_> = everything.nested_type.iter().map(|m| m.name()).collect();
        assert_eq!(entries, ["CountsEntry", "ByNameEntry"]);
        let by_name = &everything.nested_type[1];
        assert_eq!(by_name.options.as_ref().unwrap().map_entry, Some(true));
        assert_eq!(
            by_name
                .field
                .iter()
                .map(|f| (
                    f.name(),
                    f.number(),
                    f.r#type(),
                    f.type_name(),
                    f.json_name()
                ))
                .collect::<Vec<_>>(),
            [
                ("key", 1, Type::String, "", "key"),
                ("value", 2, Type::Message, ".helloworld.v1.Child", "value")
            ]
        );

        // The oneof first, then proto3 optional's synthetic one.
        let oneofs: Vec<_> = everything.oneof_decl.iter().map(|o| o.name()).collect();
        assert_eq!(oneofs, ["contact", "_limit"]);
        assert_eq!(
            kind("email"),
            (17, Label::Optional, Type::String, "", Some(0))
        );
        assert_eq!(
            kind("person"),
            (
                18,
                Label::Optional,
                Type::Message,
                ".helloworld.v1.Child",
                Some(0)
            )
        );
        assert_eq!(
            kind("limit"),
            (14, Label::Optional, Type::Int32, "", Some(1))
        );
        assert_eq!(f("limit").proto3_optional, Some(true));
        assert_eq!(f("email").proto3_optional, None);

        // Declaration order, the oneof's variants where the oneof stands.
        let order: Vec<_> = everything.field.iter().map(|f| f.number()).collect();
        assert_eq!(
            order,
            [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 30,
                31
            ]
        );
    }

    #[test]
    fn enums() {
        let set = set();
        let greeter = file(&set, "helloworld/v1/greeter.proto");
        let status = &greeter.enum_type[0];
        assert_eq!(status.name(), "Status");
        assert_eq!(
            status
                .value
                .iter()
                .map(|v| (v.name(), v.number()))
                .collect::<Vec<_>>(),
            [
                ("STATUS_UNSPECIFIED", 0),
                ("STATUS_ACTIVE", 1),
                ("STATUS_BLOCKED", 2)
            ]
        );
    }

    #[test]
    fn synthetic_oneof_names_avoid_taken_names() {
        let mut message = DescriptorProto {
            field: ["a", "_a", "_b"]
                .into_iter()
                .map(|name| FieldDescriptorProto {
                    name: Some(name.to_owned()),
                    proto3_optional: Some(true),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        add_synthetic_oneofs(&mut message);
        let names: Vec<_> = message.oneof_decl.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["X_a", "XX_a", "X_b"]);
        assert_eq!(message.field[2].oneof_index, Some(2));
    }

    #[test]
    fn deterministic_whatever_the_input_order() {
        let a = file_descriptor_set(&[&fixtures::GREETER, &fixtures::CATALOG]);
        let b = file_descriptor_set(&[&fixtures::CATALOG, &fixtures::GREETER, &fixtures::GREETER]);
        assert_eq!(a, b);
    }
}
