//! The services as `.proto` source text, for other languages' code generators: one
//! file per package (`file_set`, behind its own feature, has the same files as
//! descriptors), doc comments as `//` comments, routes as `google.api.http` options,
//! plus the google/api/http.proto and annotations.proto those options need. Field
//! rules (`#[rule(..)]`) are protovalidate options (`buf.validate.field`), with the
//! buf/validate/validate.proto they need.
//!
//! Well-known files (google/protobuf/timestamp.proto, ...) are imported, not written:
//! every protoc ships them. A field whose JSON name is not the one protoc would derive
//! gets a `[json_name = "..."]` option, so a client generated from the text speaks the
//! same JSON as the server.

mod google_api;
mod protovalidate;
mod validate_proto;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use super::field_path::proto_path;
use super::layout::{self, ProtoFile, full_name, map_entry_name, package_of};
use super::message::{EnumDescriptor, FieldDescriptor, FieldKind, FieldType, MessageDescriptor};
use super::{MethodDescriptor, RouteBody, RouteDescriptor, ServiceDescriptor};

pub use google_api::{ANNOTATIONS_PATH, HTTP_PATH};
use google_api::{ANNOTATIONS_PROTO, HTTP_PROTO};
pub use validate_proto::VALIDATE_PATH;
use validate_proto::VALIDATE_PROTO;

/// Every file to write as (path relative to the proto root, text), dependencies
/// first: the google/api files when a route needs them, buf/validate/validate.proto
/// when a field has rules, then one file per package.
pub fn proto_files(services: &[&'static ServiceDescriptor]) -> Vec<(String, String)> {
    let files = layout::plan(services);
    let known = known_symbols(&files);
    let mut out = Vec::new();
    if files.iter().any(ProtoFile::has_routes) {
        out.push((HTTP_PATH.to_owned(), HTTP_PROTO.to_owned()));
        out.push((ANNOTATIONS_PATH.to_owned(), ANNOTATIONS_PROTO.to_owned()));
    }
    if files.iter().any(|f| !f.well_known && has_rules(f)) {
        out.push((VALIDATE_PATH.to_owned(), VALIDATE_PROTO.to_owned()));
    }
    for file in files.iter().filter(|f| !f.well_known) {
        let text = Writer {
            out: String::new(),
            file,
            known: &known,
        }
        .file();
        out.push((file.path.clone(), text));
    }
    out
}

/// Writes [`proto_files`] under `dir` (creating directories) and returns the paths written.
pub fn export(services: &[&'static ServiceDescriptor], dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, text) in proto_files(services) {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// Whether a message of the file has field rules, so it imports buf/validate/validate.proto.
fn has_rules(file: &ProtoFile) -> bool {
    file.messages
        .iter()
        .any(|m| protovalidate::message_has_rules(m))
}

/// The JSON name protoc derives from a field name (underscores dropped, the next letter upper case).
fn protoc_json_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every package (and each of its prefixes) and type that a name in these files could
/// resolve to: what decides whether a relative name would be captured by another scope.
fn known_symbols(files: &[ProtoFile]) -> HashSet<String> {
    let mut known = HashSet::new();
    for file in files {
        let parts: Vec<_> = file.package.split('.').collect();
        for k in 1..=parts.len() {
            known.insert(parts[..k].join("."));
        }
        let types = file.messages.iter().map(|m| m.name);
        for name in types.chain(file.enums.iter().map(|e| e.name)) {
            known.insert(full_name(file.package, name));
        }
    }
    known.extend(["google", "google.api", "buf", "buf.validate"].map(str::to_owned));
    known
}

/// The `stream ` keyword before a streamed side's type, else nothing.
fn stream(streams: bool) -> &'static str {
    if streams { "stream " } else { "" }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Writer<'a> {
    out: String,
    file: &'a ProtoFile,
    known: &'a HashSet<String>,
}

impl Writer<'_> {
    fn file(mut self) -> String {
        let file = self.file;
        self.out.push_str(
            "// Written by kratos from the service descriptors: change the Rust definitions, not this file.\n\n",
        );
        self.out.push_str("syntax = \"proto3\";\n");
        if !file.package.is_empty() {
            let _ = write!(self.out, "\npackage {};\n", file.package);
        }
        let mut imports: Vec<&str> = file.imports.iter().map(String::as_str).collect();
        if file.has_routes() {
            imports.push(ANNOTATIONS_PATH);
        }
        if has_rules(file) {
            imports.push(VALIDATE_PATH);
        }
        imports.sort_unstable();
        if !imports.is_empty() {
            self.out.push('\n');
        }
        for import in imports {
            let _ = writeln!(self.out, "import {};", quote(import));
        }
        for service in &file.services {
            self.out.push('\n');
            self.service(service);
        }
        for message in &file.messages {
            self.out.push('\n');
            self.message(message);
        }
        for enumeration in &file.enums {
            self.out.push('\n');
            self.enumeration(enumeration);
        }
        self.out
    }

    fn comment(&mut self, doc: &str, indent: &str) {
        let lines: Vec<&str> = doc.lines().map(str::trim_end).collect();
        let start = lines.iter().position(|l| !l.trim().is_empty());
        let end = lines.iter().rposition(|l| !l.trim().is_empty());
        let (Some(start), Some(end)) = (start, end) else {
            return;
        };
        for line in &lines[start..=end] {
            let sep = if line.is_empty() || line.starts_with(' ') {
                ""
            } else {
                " "
            };
            let _ = writeln!(self.out, "{indent}//{sep}{line}");
        }
    }

    /// How this file names a type: short in its own package, qualified elsewhere, and
    /// with a leading dot where protoc's inner-scope-first lookup would find another
    /// symbol first (`entries` are the map entry types nested in the current message).
    fn type_ref(&self, declared: Option<&'static str>, name: &str, entries: &[String]) -> String {
        let package = package_of(declared, self.file.package);
        let full = full_name(package, name);
        if package == self.file.package {
            if entries.iter().any(|e| e == name) {
                format!(".{full}")
            } else {
                name.to_owned()
            }
        } else if self.captured(&full, entries) {
            format!(".{full}")
        } else {
            full
        }
    }

    fn captured(&self, full: &str, entries: &[String]) -> bool {
        let first = full.split('.').next().unwrap_or_default();
        if entries.iter().any(|e| e == first) {
            return true;
        }
        let parts: Vec<_> = self
            .file
            .package
            .split('.')
            .filter(|p| !p.is_empty())
            .collect();
        (1..=parts.len()).any(|k| {
            let scope = format!("{}.{first}", parts[..k].join("."));
            self.known.contains(&scope)
        })
    }

    fn type_name(&self, ty: FieldType, entries: &[String]) -> String {
        match ty {
            FieldType::Message(m) => self.type_ref(m().package, m().name, entries),
            FieldType::Enum(e) => self.type_ref(e().package, e().name, entries),
            scalar => scalar.scalar_name().unwrap_or_default().to_owned(),
        }
    }

    fn service(&mut self, service: &ServiceDescriptor) {
        self.comment(service.doc, "");
        if service.methods.is_empty() {
            let _ = writeln!(self.out, "service {} {{}}", service.name);
            return;
        }
        let _ = writeln!(self.out, "service {} {{", service.name);
        for (i, method) in service.methods.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            self.method(method);
        }
        self.out.push_str("}\n");
    }

    fn method(&mut self, method: &MethodDescriptor) {
        self.comment(method.doc, "  ");
        let (request, reply) = ((method.request)(), (method.reply)());
        let _ = write!(
            self.out,
            "  rpc {}({}{}) returns ({}{})",
            method.name,
            stream(method.shape.client_streams()),
            self.type_ref(request.package, request.name, &[]),
            stream(method.shape.server_streams()),
            self.type_ref(reply.package, reply.name, &[]),
        );
        let Some((first, more)) = method.routes.split_first() else {
            self.out.push_str(";\n");
            return;
        };
        let option = if self.captured("google.api.http", &[]) {
            "(.google.api.http)"
        } else {
            "(google.api.http)"
        };
        let _ = writeln!(self.out, " {{\n    option {option} = {{");
        self.rule(first, request, "      ");
        for route in more {
            self.out.push_str("      additional_bindings {\n");
            self.rule(route, request, "        ");
            self.out.push_str("      }\n");
        }
        self.out.push_str("    };\n  }\n");
    }

    /// One HttpRule's fields in text format, with path variables and the body field
    /// spelled as proto field paths (routes carry JSON names).
    fn rule(&mut self, route: &RouteDescriptor, request: &'static MessageDescriptor, indent: &str) {
        let mut path = String::new();
        let mut rest = route.path;
        let mut index = 0;
        while let (Some(open), Some(close)) = (rest.find('{'), rest.find('}')) {
            if close < open {
                break;
            }
            let written = &rest[open + 1..close];
            let variable = route
                .params
                .get(index)
                .and_then(|p| proto_path(request, p))
                .unwrap_or_else(|| written.to_owned());
            let _ = write!(path, "{}{{{variable}}}", &rest[..open]);
            rest = &rest[close + 1..];
            index += 1;
        }
        path.push_str(rest);
        let verb = route.method.as_str().to_ascii_lowercase();
        let _ = writeln!(self.out, "{indent}{verb}: {}", quote(&path));
        match route.body {
            RouteBody::None => {}
            RouteBody::All => {
                let _ = writeln!(self.out, "{indent}body: \"*\"");
            }
            RouteBody::Field(field) => {
                let field = proto_path(request, field).unwrap_or_else(|| field.to_owned());
                let _ = writeln!(self.out, "{indent}body: {}", quote(&field));
            }
        }
    }

    fn message(&mut self, message: &MessageDescriptor) {
        self.comment(message.doc, "");
        if message.fields.is_empty() {
            let _ = writeln!(self.out, "message {} {{}}", message.name);
            return;
        }
        let entries: Vec<String> = message
            .fields
            .iter()
            .filter(|f| matches!(f.kind, FieldKind::Map(..)))
            .map(|f| map_entry_name(f.name))
            .collect();
        let _ = writeln!(self.out, "message {} {{", message.name);
        for field in message.fields {
            self.comment(field.doc, "  ");
            if let FieldKind::Oneof(oneof) = field.kind {
                let _ = writeln!(self.out, "  oneof {} {{", field.name);
                if protovalidate::oneof_required(field) {
                    let option = self.extension("oneof");
                    let _ = writeln!(self.out, "    option {option}.required = true;");
                }
                for variant in oneof().numbered(field.number) {
                    self.comment(variant.doc, "    ");
                    self.field(&variant, &entries, "    ");
                }
                self.out.push_str("  }\n");
            } else {
                self.field(field, &entries, "  ");
            }
        }
        self.out.push_str("}\n");
    }

    fn field(&mut self, field: &FieldDescriptor, entries: &[String], indent: &str) {
        let declaration = match field.kind {
            FieldKind::Singular(ty) => self.type_name(ty, entries),
            FieldKind::Optional(ty) => format!("optional {}", self.type_name(ty, entries)),
            FieldKind::Repeated(ty) => format!("repeated {}", self.type_name(ty, entries)),
            FieldKind::Map(key, value) => format!(
                "map<{}, {}>",
                self.type_name(key, entries),
                self.type_name(value, entries)
            ),
            // A oneof inside a oneof has no proto form; the message macro never writes one.
            FieldKind::Oneof(_) => return,
        };
        let mut options = Vec::new();
        if field.json_name != protoc_json_name(field.name) {
            options.push(format!("json_name = {}", quote(field.json_name)));
        }
        options.extend(protovalidate::field_options(
            field,
            &self.extension("field"),
        ));
        let options = if options.is_empty() {
            String::new()
        } else {
            format!(" [{}]", options.join(", "))
        };
        let _ = writeln!(
            self.out,
            "{indent}{declaration} {} = {}{options};",
            field.name, field.number
        );
    }

    /// `(buf.validate.{name})`, absolute where a scope of this file would capture `buf`.
    fn extension(&self, name: &str) -> String {
        let full = format!("buf.validate.{name}");
        if self.captured(&full, &[]) {
            format!("(.{full})")
        } else {
            format!("({full})")
        }
    }

    fn enumeration(&mut self, enumeration: &EnumDescriptor) {
        self.comment(enumeration.doc, "");
        let _ = writeln!(self.out, "enum {} {{", enumeration.name);
        for value in enumeration.values {
            self.comment(value.doc, "  ");
            let _ = writeln!(self.out, "  {} = {};", value.name, value.number);
        }
        self.out.push_str("}\n");
    }
}

#[cfg(test)]
mod tests;
