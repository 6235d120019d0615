//! From descriptors to the Rust [`model`](super::model): every name, number and type
//! is checked against what the macros can give back unchanged, since the `.proto`
//! export of the imported code must equal the original. What cannot be expressed is
//! an error naming the file, line and element; what is dropped on the way (an HTTP
//! binding, a validation rule) is a warning.

mod enums;
mod message;
mod service;

use std::collections::{BTreeMap, HashMap, HashSet};

use prost_reflect::{
    EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, Syntax, Value,
};

use super::diag::Report;
use super::model::{Item, Message, Package};
use super::names::{ident, module};

/// The module the `google.protobuf.Empty` message is written to when used.
pub const EMPTY_MODULE: &str = "google_protobuf";

/// Names a message may not take: the generated code names these Rust types unqualified.
const SHADOWING: &[&str] = &[
    "Option", "Some", "None", "Result", "Ok", "Err", "String", "Vec", "Box", "HashMap", "Default",
];

/// Maps `files` into one package per proto package, with the errors and warnings.
pub fn map(files: &[FileDescriptor]) -> (Vec<Package>, Report) {
    let mut mapper = Mapper::new(files);
    for file in files {
        mapper.file(file);
    }
    let mut packages: Vec<Package> = mapper.packages.into_values().collect();
    if mapper.uses_empty {
        packages.push(Package {
            name: "google.protobuf".to_owned(),
            module: EMPTY_MODULE.to_owned(),
            files: vec!["google/protobuf/empty.proto".to_owned()],
            items: vec![Item::Message(Message {
                doc: "google.protobuf.Empty, which protoc ships: the export imports it.".to_owned(),
                name: "Empty".to_owned(),
                fields: Vec::new(),
            })],
        });
    }
    (packages, mapper.report)
}

struct Mapper {
    packages: BTreeMap<String, Package>,
    /// Full proto name -> (package, Rust name) of every message and enum written.
    names: HashMap<String, (String, String)>,
    /// Full names of the enums written as `#[kratos::error_code]`.
    error_enums: HashSet<String>,
    /// Message full name -> the message types its fields name.
    edges: HashMap<String, Vec<String>>,
    uses_empty: bool,
    /// Oneof enums of the message being mapped, written after it.
    pending: Vec<Item>,
    report: Report,
}

/// The Rust name of a message or enum: nested types are flattened into their
/// package, prefixed by their parents' names (`Outer.Inner` -> `OuterInner`), as
/// kratos-rs declares every type at the top of its package.
fn flat_name(full_name: &str, package: &str) -> String {
    let local = if package.is_empty() {
        full_name
    } else {
        &full_name[package.len() + 1..]
    };
    local.split('.').collect()
}

fn is_error_enum(e: &EnumDescriptor) -> bool {
    let has = |options: prost_reflect::DynamicMessage, name: &str| {
        options.extensions().any(|(ext, _)| ext.full_name() == name)
    };
    has(e.options(), "errors.default_code") || e.values().any(|v| has(v.options(), "errors.code"))
}

fn int_extension(options: prost_reflect::DynamicMessage, name: &str) -> Option<i32> {
    options
        .extensions()
        .find(|(ext, _)| ext.full_name() == name)
        .and_then(|(_, v)| v.as_i32())
}

impl Mapper {
    fn new(files: &[FileDescriptor]) -> Mapper {
        let mut mapper = Mapper {
            packages: BTreeMap::new(),
            names: HashMap::new(),
            error_enums: HashSet::new(),
            edges: HashMap::new(),
            uses_empty: false,
            pending: Vec::new(),
            report: Report::default(),
        };
        for file in files {
            let package = file.package_name().to_owned();
            let mut stack: Vec<MessageDescriptor> = file.messages().collect();
            let mut enums: Vec<EnumDescriptor> = file.enums().collect();
            while let Some(m) = stack.pop() {
                if m.is_map_entry() {
                    continue;
                }
                let targets = m
                    .fields()
                    .filter_map(|f| match f.kind() {
                        Kind::Message(t) if t.is_map_entry() => {
                            match t.map_entry_value_field().kind() {
                                Kind::Message(v) => Some(v.full_name().to_owned()),
                                _ => None,
                            }
                        }
                        Kind::Message(t) => Some(t.full_name().to_owned()),
                        _ => None,
                    })
                    .collect();
                mapper.edges.insert(m.full_name().to_owned(), targets);
                mapper.declare(file, m.path(), m.full_name(), &package);
                stack.extend(m.child_messages());
                enums.extend(m.child_enums());
            }
            for e in enums {
                if is_error_enum(&e) {
                    mapper.error_enums.insert(e.full_name().to_owned());
                }
                mapper.declare(file, e.path(), e.full_name(), &package);
            }
        }
        mapper
    }

    fn declare(&mut self, file: &FileDescriptor, path: &[i32], full_name: &str, package: &str) {
        let name = flat_name(full_name, package);
        let taken = self
            .names
            .iter()
            .find(|(other, (p, n))| p == package && *n == name && *other != full_name)
            .map(|(other, _)| other.clone());
        if let Some(other) = taken {
            self.report.error(
                file,
                path,
                full_name,
                format!("its Rust name `{name}` (kratos-rs declares nested types at the top of the package, parents' names first) is already {other}: rename one of them"),
            );
        }
        if ident(&name).is_none_or(|i| i.starts_with("r#")) {
            self.report.error(
                file,
                path,
                full_name,
                format!("`{name}` is a Rust keyword, which a type cannot be named: rename it"),
            );
        }
        if SHADOWING.contains(&name.as_str()) {
            self.report.error(
                file,
                path,
                full_name,
                format!("a type named `{name}` would shadow Rust's own `{name}` in the generated code: rename it"),
            );
        }
        self.names
            .insert(full_name.to_owned(), (package.to_owned(), name));
    }

    fn package(&mut self, file: &FileDescriptor) -> &mut Package {
        let name = file.package_name().to_owned();
        let clash = self
            .packages
            .values()
            .find(|p| p.name != name && p.module == module(&name))
            .map(|p| p.name.clone());
        if let Some(other) = clash {
            // 2: FileDescriptorProto.package, the `package ..;` line.
            self.report.error(
                file,
                &[2],
                &name,
                format!(
                    "packages {name} and {other} would both be the Rust module `{}`: rename one",
                    module(&name)
                ),
            );
        }
        let package = self
            .packages
            .entry(name.clone())
            .or_insert_with(|| Package {
                module: module(&name),
                name,
                ..Package::default()
            });
        package.files.push(file.name().to_owned());
        package
    }

    fn file(&mut self, file: &FileDescriptor) {
        if file.package_name().is_empty() {
            self.report.error(
                file,
                &[],
                file.name(),
                "a file without `package` cannot be imported: kratos-rs names services and exports types by package; add one (`package echo.v1;`)".to_owned(),
            );
            return;
        }
        self.package(file);
        if file.syntax() != Syntax::Proto3 {
            // 12: FileDescriptorProto.syntax, the `syntax = ..` line.
            self.report.warn(
                file,
                &[12],
                "syntax",
                "written as proto3: kratos-rs exports proto3 (fields keep their numbers; proto2 defaults and presence of plain fields are not kept)".to_owned(),
            );
        }
        for ext in file.extensions() {
            self.report.error(
                file,
                ext.path(),
                ext.full_name(),
                "extensions (`extend`) cannot be imported: kratos-rs messages have no extensions"
                    .to_owned(),
            );
        }
        for message in file.messages() {
            self.message(file, &message);
        }
        for e in file.enums() {
            self.enumeration(file, &e);
        }
        for service in file.services() {
            self.service(file, &service);
        }
    }

    fn push(&mut self, file: &FileDescriptor, item: Item) {
        let name = file.package_name().to_owned();
        if let Some(p) = self.packages.get_mut(&name) {
            p.items.push(item);
        }
    }

    /// Whether `from`'s field of type `to` must be boxed: `to` leads back to `from`.
    fn cyclic(&self, from: &str, to: &str) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![to.to_owned()];
        while let Some(next) = stack.pop() {
            if next == from {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.extend(self.edges.get(&next).into_iter().flatten().cloned());
            }
        }
        false
    }

    /// How the module of package `from` names the message or enum `full_name`.
    fn type_path(
        &mut self,
        file: &FileDescriptor,
        path: &[i32],
        element: &str,
        full_name: &str,
    ) -> Option<String> {
        match full_name {
            "google.protobuf.Timestamp" => return Some("kratos::proto::Timestamp".to_owned()),
            "google.protobuf.Duration" => return Some("kratos::proto::Duration".to_owned()),
            "google.api.HttpBody" => return Some("kratos::proto::HttpBody".to_owned()),
            "kratos.api.FilePart" => return Some("kratos::proto::FilePart".to_owned()),
            "google.protobuf.Empty" => {
                self.uses_empty = true;
                return Some(format!("super::{EMPTY_MODULE}::Empty"));
            }
            _ => {}
        }
        let Some((package, name)) = self.names.get(full_name).cloned() else {
            let why = match full_name {
                "google.protobuf.Any" => "google.protobuf.Any has no kratos-rs type: name the message itself, or a oneof of the messages it may hold".to_owned(),
                "google.protobuf.Struct" | "google.protobuf.Value" | "google.protobuf.ListValue" => format!("{full_name} (free-form JSON) has no kratos-rs type: declare the fields as a message"),
                other => format!("{other} has no kratos-rs type (kratos-rs maps google.protobuf.Timestamp, Duration, Empty, google.api.HttpBody and kratos.api.FilePart)"),
            };
            self.report.error(file, path, element, why);
            return None;
        };
        if self.error_enums.contains(full_name) {
            self.report.error(
                file,
                path,
                element,
                format!("{full_name} is a Go kratos errors enum (written as #[kratos::error_code]) and cannot be a field type"),
            );
            return None;
        }
        if package == file.package_name() {
            Some(name)
        } else {
            Some(format!("super::{}::{name}", module(&package)))
        }
    }

    /// The Rust type of one value of the field (no `Vec`/`Option` around it).
    fn value_type(
        &mut self,
        file: &FileDescriptor,
        field: &FieldDescriptor,
        kind: Kind,
        owner: &str,
    ) -> Option<String> {
        let scalar = match kind {
            Kind::Double => "f64",
            Kind::Float => "f32",
            Kind::Int32 => "i32",
            Kind::Int64 => "i64",
            Kind::Uint32 => "u32",
            Kind::Uint64 => "u64",
            Kind::Bool => "bool",
            Kind::String => "String",
            Kind::Bytes => "Vec<u8>",
            Kind::Message(m) => {
                let path = self.type_path(file, field.path(), field.full_name(), m.full_name())?;
                return Some(if self.cyclic(owner, m.full_name()) {
                    format!("Box<{path}>")
                } else {
                    path
                });
            }
            Kind::Enum(e) => {
                return self.type_path(file, field.path(), field.full_name(), e.full_name());
            }
            other => {
                let (proto, instead) = match other {
                    Kind::Sint32 => ("sint32", "int32"),
                    Kind::Sfixed32 => ("sfixed32", "int32"),
                    Kind::Fixed32 => ("fixed32", "uint32"),
                    Kind::Fixed64 => ("fixed64", "uint64"),
                    Kind::Sint64 => ("sint64", "int64"),
                    _ => ("sfixed64", "int64"),
                };
                self.report.error(
                    file,
                    field.path(),
                    field.full_name(),
                    format!("{proto} has no kratos-rs type (its messages encode double, float, int32, int64, uint32, uint64, bool, string and bytes): declare the field {instead}"),
                );
                return None;
            }
        };
        Some(scalar.to_owned())
    }
}

/// The text of a scalar option value, for rules and messages.
pub fn value_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::Bool(b) => b.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F32(n) => float_text(f64::from(*n)),
        Value::F64(n) => float_text(*n),
        Value::String(s) => format!("{s:?}"),
        Value::EnumNumber(n) => n.to_string(),
        _ => return None,
    })
}

fn float_text(n: f64) -> String {
    if n.fract() == 0.0 && n.is_finite() {
        format!("{n:.1}")
    } else {
        n.to_string()
    }
}
