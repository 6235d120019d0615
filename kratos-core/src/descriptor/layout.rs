//! Which `.proto` file each service, message and enum goes into, and what each file
//! imports. The descriptor set and the `.proto` text both render this one plan, so
//! they cannot disagree.
//!
//! The rules:
//! - one file per package, at `{package with dots as slashes}/{name}.proto`, where
//!   `name` is the service's name in snake_case when the package has exactly one
//!   service (`helloworld/v1/greeter.proto`, as Go kratos lays out its API), and
//!   otherwise the last package segment that is not a version (`common/v1/common.proto`);
//! - a type without a package lives in the package it is reached from: the service's,
//!   or that of the packaged message that refers to it. A type reached from two
//!   packages is written into both, so no file ever imports a file that imports it;
//! - `google.protobuf` types are the well-known ones: each sits in protoc's own file
//!   (`google/protobuf/timestamp.proto`), which is imported, never written out.
//!
//! Services are taken by full name (duplicates dropped), types in the order they are
//! first reached, files with their dependencies first: the output does not depend on
//! the order `inventory` happened to collect services in.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::ServiceDescriptor;
use super::message::{EnumDescriptor, FieldKind, FieldType, MessageDescriptor, WELL_KNOWN_PACKAGE};

/// One planned `.proto` file.
#[derive(Debug)]
pub(crate) struct ProtoFile {
    /// Its path relative to the proto root, with `/` separators.
    pub(crate) path: String,
    /// Its package (may be empty).
    pub(crate) package: &'static str,
    /// A protoc-provided well-known file: imported, never exported as text.
    pub(crate) well_known: bool,
    /// The files it needs, sorted (google/api/annotations.proto is not among them: see [`ProtoFile::has_routes`]).
    pub(crate) imports: BTreeSet<String>,
    pub(crate) messages: Vec<&'static MessageDescriptor>,
    pub(crate) enums: Vec<&'static EnumDescriptor>,
    pub(crate) services: Vec<&'static ServiceDescriptor>,
}

impl ProtoFile {
    /// Whether a method here has an HTTP binding, so the text imports google/api/annotations.proto.
    pub(crate) fn has_routes(&self) -> bool {
        self.services
            .iter()
            .any(|s| s.methods.iter().any(|m| !m.routes.is_empty()))
    }
}

/// The services sorted by full name, each once.
pub(crate) fn sorted_services(
    services: &[&'static ServiceDescriptor],
) -> Vec<&'static ServiceDescriptor> {
    let mut services = services.to_vec();
    services.sort_by_key(|s| s.full_name);
    services.dedup_by_key(|s| s.full_name);
    services
}

/// The package a referenced type lives in, seen from a file (or type) of package `context`.
pub(crate) fn package_of(declared: Option<&'static str>, context: &'static str) -> &'static str {
    declared.unwrap_or(context)
}

/// `package.name`, or `name` in the root package.
pub(crate) fn full_name(package: &str, name: &str) -> String {
    if package.is_empty() {
        name.to_owned()
    } else {
        format!("{package}.{name}")
    }
}

/// `field_name` in UpperCamel case plus `Entry`, as protoc names a map's entry message.
pub(crate) fn map_entry_name(field_name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in field_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out + "Entry"
}

/// The types a field refers to: its own, both of a map's, or every variant's of a oneof.
pub(crate) fn field_types(kind: &FieldKind) -> Vec<FieldType> {
    match *kind {
        FieldKind::Singular(t) | FieldKind::Optional(t) | FieldKind::Repeated(t) => vec![t],
        FieldKind::Map(k, v) => vec![k, v],
        FieldKind::Oneof(oneof) => oneof()
            .variants
            .iter()
            .flat_map(|v| field_types(&v.kind))
            .collect(),
    }
}

/// The files the services need, each after the files it imports.
pub(crate) fn plan(services: &[&'static ServiceDescriptor]) -> Vec<ProtoFile> {
    let services = sorted_services(services);
    let mut by_package: BTreeMap<&'static str, Vec<&'static ServiceDescriptor>> = BTreeMap::new();
    for service in &services {
        by_package.entry(service.package).or_default().push(service);
    }
    let mut planner = Planner {
        service_files: by_package
            .iter()
            .map(|(package, services)| (*package, service_file(package, services)))
            .collect(),
        files: BTreeMap::new(),
        seen: HashSet::new(),
    };
    for service in &services {
        let path = planner.path_of(service.package, service.name);
        planner.file(service.package, path).services.push(service);
        for method in service.methods {
            planner.message((method.request)(), service.package);
            planner.message((method.reply)(), service.package);
        }
    }
    planner.link();
    dependencies_first(planner.files)
}

struct Planner {
    service_files: BTreeMap<&'static str, String>,
    files: BTreeMap<String, ProtoFile>,
    /// (package, name, is enum) of every placed type.
    seen: HashSet<(&'static str, &'static str, bool)>,
}

impl Planner {
    fn path_of(&self, package: &'static str, type_name: &str) -> String {
        if package == WELL_KNOWN_PACKAGE {
            format!("google/protobuf/{}.proto", well_known_file(type_name))
        } else if package == "google.api" && type_name == "HttpBody" {
            // Where google declares it, so a client's own copy of the file fits the import.
            "google/api/httpbody.proto".to_owned()
        } else if let Some(path) = self.service_files.get(package) {
            path.clone()
        } else {
            in_package(package, last_name_segment(package))
        }
    }

    fn file(&mut self, package: &'static str, path: String) -> &mut ProtoFile {
        self.files.entry(path.clone()).or_insert_with(|| ProtoFile {
            well_known: package == WELL_KNOWN_PACKAGE,
            path,
            package,
            imports: BTreeSet::new(),
            messages: Vec::new(),
            enums: Vec::new(),
            services: Vec::new(),
        })
    }

    fn message(&mut self, message: &'static MessageDescriptor, context: &'static str) {
        let package = package_of(message.package, context);
        if !self.seen.insert((package, message.name, false)) {
            return;
        }
        let path = self.path_of(package, message.name);
        self.file(package, path).messages.push(message);
        for field in message.fields {
            for ty in field_types(&field.kind) {
                match ty {
                    FieldType::Message(m) => self.message(m(), package),
                    FieldType::Enum(e) => self.enumeration(e(), package),
                    _ => {}
                }
            }
        }
    }

    fn enumeration(&mut self, enumeration: &'static EnumDescriptor, context: &'static str) {
        let package = package_of(enumeration.package, context);
        if self.seen.insert((package, enumeration.name, true)) {
            let path = self.path_of(package, enumeration.name);
            self.file(package, path).enums.push(enumeration);
        }
    }

    /// Fills each file's imports: the files of the types it names that live elsewhere.
    fn link(&mut self) {
        let mut imports = Vec::new();
        for file in self.files.values() {
            let mut used = BTreeSet::new();
            let mut add = |package: Option<&'static str>, name: &str| {
                let path = self.path_of(package_of(package, file.package), name);
                if path != file.path {
                    used.insert(path);
                }
            };
            for message in &file.messages {
                for field in message.fields {
                    for ty in field_types(&field.kind) {
                        match ty {
                            FieldType::Message(m) => add(m().package, m().name),
                            FieldType::Enum(e) => add(e().package, e().name),
                            _ => {}
                        }
                    }
                }
            }
            for method in file.services.iter().flat_map(|s| s.methods) {
                for m in [(method.request)(), (method.reply)()] {
                    add(m.package, m.name);
                }
            }
            imports.push((file.path.clone(), used));
        }
        for (path, used) in imports {
            if let Some(file) = self.files.get_mut(&path) {
                file.imports = used;
            }
        }
    }
}

/// Orders files so each comes after the files it imports (ties by path), as
/// protoc's `--include_imports` does and descriptor pools expect.
fn dependencies_first(files: BTreeMap<String, ProtoFile>) -> Vec<ProtoFile> {
    fn visit(
        path: &str,
        files: &BTreeMap<String, ProtoFile>,
        done: &mut BTreeSet<String>,
        order: &mut Vec<String>,
    ) {
        if !done.insert(path.to_owned()) {
            return;
        }
        if let Some(file) = files.get(path) {
            for import in &file.imports {
                visit(import, files, done, order);
            }
            order.push(path.to_owned());
        }
    }
    let mut done = BTreeSet::new();
    let mut order = Vec::new();
    for path in files.keys() {
        visit(path, &files, &mut done, &mut order);
    }
    let mut files = files;
    order.iter().filter_map(|path| files.remove(path)).collect()
}

fn service_file(package: &str, services: &[&'static ServiceDescriptor]) -> String {
    match services {
        [only] => in_package(package, &snake_case(only.name)),
        _ => in_package(package, last_name_segment(package)),
    }
}

fn in_package(package: &str, name: &str) -> String {
    if package.is_empty() {
        format!("{name}.proto")
    } else {
        format!("{}/{name}.proto", package.replace('.', "/"))
    }
}

/// The last segment of `package` that is not a version like `v1` or `v2beta1`.
fn last_name_segment(package: &str) -> &str {
    let is_version = |s: &str| {
        s.strip_prefix('v').is_some_and(|rest| {
            let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            digits.len() < rest.len()
                && (digits.is_empty()
                    || ["alpha", "beta"].iter().any(|w| {
                        digits
                            .strip_prefix(w)
                            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                    }))
        })
    };
    package
        .rsplit('.')
        .find(|s| !is_version(s))
        .or_else(|| package.rsplit('.').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("api")
}

/// The protoc file that defines a well-known type.
fn well_known_file(type_name: &str) -> String {
    match type_name {
        "Struct" | "Value" | "ListValue" | "NullValue" => "struct".to_owned(),
        "DoubleValue" | "FloatValue" | "Int64Value" | "UInt64Value" | "Int32Value"
        | "UInt32Value" | "BoolValue" | "StringValue" | "BytesValue" => "wrappers".to_owned(),
        other => snake_case(other),
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::fixtures;

    fn names(file: &ProtoFile) -> Vec<&str> {
        file.messages.iter().map(|m| m.name).collect()
    }

    #[test]
    fn files_by_package_dependencies_first() {
        let files = plan(&[&fixtures::CATALOG, &fixtures::GREETER, &fixtures::CATALOG]);
        let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "common/v1/common.proto",
                "google/protobuf/duration.proto",
                "google/protobuf/timestamp.proto",
                "helloworld/v1/greeter.proto",
                "shop/v1/catalog.proto",
            ]
        );
        let greeter = &files[3];
        assert_eq!(greeter.package, "helloworld.v1");
        assert_eq!(greeter.services.len(), 1);
        assert!(greeter.has_routes());
        assert_eq!(
            greeter.imports.iter().collect::<Vec<_>>(),
            [
                "common/v1/common.proto",
                "google/protobuf/duration.proto",
                "google/protobuf/timestamp.proto"
            ]
        );
        assert!(files[1].well_known && files[2].well_known && !greeter.well_known);
        assert_eq!(names(&files[2]), ["Timestamp"]);
    }

    #[test]
    fn unpackaged_types_are_copied_into_each_package_that_reaches_them() {
        let files = plan(&[&fixtures::GREETER, &fixtures::CATALOG]);
        let file = |p: &str| files.iter().find(|f| f.path == p).unwrap();
        let greeter = file("helloworld/v1/greeter.proto");
        assert_eq!(
            names(greeter),
            [
                "HelloRequest",
                "HelloReply",
                "Everything",
                "Child",
                "PatchRequest",
                "PingRequest"
            ]
        );
        assert_eq!(
            greeter.enums.iter().map(|e| e.name).collect::<Vec<_>>(),
            ["Status"]
        );
        // Child is reached from shop.v1 directly and from common.v1 through Page.
        assert_eq!(
            names(file("shop/v1/catalog.proto")),
            ["ListRequest", "Child", "ListReply"]
        );
        assert_eq!(names(file("common/v1/common.proto")), ["Page", "Child"]);
        assert!(!file("shop/v1/catalog.proto").has_routes());
    }

    #[test]
    fn map_entry_names() {
        assert_eq!(map_entry_name("by_name"), "ByNameEntry");
        assert_eq!(map_entry_name("counts"), "CountsEntry");
        assert_eq!(map_entry_name("x_1y"), "X1yEntry");
    }

    #[test]
    fn file_names() {
        assert_eq!(last_name_segment("helloworld.v1"), "helloworld");
        assert_eq!(last_name_segment("a.b.v2beta1"), "b");
        assert_eq!(last_name_segment("v1"), "v1");
        assert_eq!(last_name_segment("video"), "video");
        assert_eq!(last_name_segment(""), "api");
        assert_eq!(in_package("", "api"), "api.proto");
        assert_eq!(snake_case("UserService"), "user_service");
        assert_eq!(well_known_file("FieldMask"), "field_mask");
        assert_eq!(well_known_file("StringValue"), "wrappers");
    }
}
