//! The exported `.proto` files against tools this project did not write: the real
//! `protoc` compiles them, and its descriptor set must equal `file_descriptor_set`
//! message by message and field by field; grpcio-tools compiles them for Python, and
//! the modules import and carry the `google.api.http` options and JSON names.
//!
//! Needs `protoc` and Python's grpcio-tools: `bash .ci/setup` installs both.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kratos_core::descriptor::file_set::file_descriptor_set;
use kratos_core::descriptor::proto_text::export;
// The fixtures reach these through `super`.
use kratos_core::descriptor::{
    EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FieldKind, FieldType, HttpMethod,
    MessageDescriptor, MethodDescriptor, MethodShape, OneofDescriptor, RouteBody, RouteDescriptor,
    ServiceDescriptor, message,
};
use prost::Message as _;
use prost_types::{DescriptorProto, FileDescriptorProto, FileDescriptorSet};

#[path = "../src/descriptor/fixtures.rs"]
mod fixtures;

const SERVICES: [&ServiceDescriptor; 3] =
    [&fixtures::GREETER, &fixtures::CATALOG, &fixtures::CLOCK];

fn exported() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let written = export(&SERVICES, dir.path()).unwrap();
    let relative = written
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    (dir, relative)
}

fn run(command: &mut Command, what: &str) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what} ({e}): run `bash .ci/setup` to install it"));
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// What protoc writes for the exported files, with what the descriptor set leaves
/// out on purpose taken away: file and method options (where `google.api.http`
/// lives), the google/api import, and the files only those options need.
fn protoc_set(dir: &Path, files: &[String]) -> Vec<FileDescriptorProto> {
    let out = dir.join("protoc.pb");
    run(
        Command::new("protoc")
            .arg(format!("-I{}", dir.display()))
            .arg("--include_imports")
            .arg(format!("--descriptor_set_out={}", out.display()))
            .args(files),
        "protoc",
    );
    let set = FileDescriptorSet::decode(std::fs::read(&out).unwrap().as_slice()).unwrap();
    set.file
        .into_iter()
        .filter(|f| {
            !f.name().starts_with("google/api/") && f.name() != "google/protobuf/descriptor.proto"
        })
        .map(|mut f| {
            f.options = None;
            f.source_code_info = None;
            f.dependency.retain(|d| !d.starts_with("google/api/"));
            for method in f.service.iter_mut().flat_map(|s| s.method.iter_mut()) {
                method.options = None;
            }
            f
        })
        .collect()
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| name(i).to_owned()).collect()
}

fn compare_message(ours: &DescriptorProto, theirs: &DescriptorProto, at: &str) {
    assert_eq!(
        names(&ours.field, |f| f.name()),
        names(&theirs.field, |f| f.name()),
        "{at}: fields"
    );
    for (a, b) in ours.field.iter().zip(&theirs.field) {
        let shape = |f: &prost_types::FieldDescriptorProto| {
            (
                f.number(),
                f.label(),
                f.r#type(),
                f.type_name().to_owned(),
                f.json_name().to_owned(),
                f.oneof_index,
                f.proto3_optional,
                f.options.clone(),
            )
        };
        assert_eq!(
            shape(a),
            shape(b),
            "{at}.{}: (number, label, type, type name, json name, oneof index, proto3 optional, options)",
            a.name()
        );
    }
    assert_eq!(
        names(&ours.oneof_decl, |o| o.name()),
        names(&theirs.oneof_decl, |o| o.name()),
        "{at}: oneofs"
    );
    assert_eq!(ours.options, theirs.options, "{at}: options");
    assert_eq!(
        names(&ours.nested_type, |m| m.name()),
        names(&theirs.nested_type, |m| m.name()),
        "{at}: nested messages"
    );
    for (a, b) in ours.nested_type.iter().zip(&theirs.nested_type) {
        compare_message(a, b, &format!("{at}.{}", a.name()));
    }
    assert_eq!(ours, theirs, "{at}");
}

fn compare_file(ours: &FileDescriptorProto, theirs: &FileDescriptorProto) {
    let at = ours.name();
    assert_eq!(ours.package, theirs.package, "{at}: package");
    assert_eq!(ours.syntax, theirs.syntax, "{at}: syntax");
    assert_eq!(ours.dependency, theirs.dependency, "{at}: imports");
    assert_eq!(
        names(&ours.message_type, |m| m.name()),
        names(&theirs.message_type, |m| m.name()),
        "{at}: messages"
    );
    for (a, b) in ours.message_type.iter().zip(&theirs.message_type) {
        compare_message(a, b, &format!("{at}: {}", a.name()));
    }
    assert_eq!(ours.enum_type, theirs.enum_type, "{at}: enums");
    assert_eq!(ours.service, theirs.service, "{at}: services");
    assert_eq!(ours, theirs, "{at}");
}

#[test]
fn protoc_compiles_the_text_into_our_descriptor_set() {
    let (dir, files) = exported();
    let theirs = protoc_set(dir.path(), &files);
    let ours = file_descriptor_set(&SERVICES).file;

    let mut our_names = names(&ours, |f| f.name());
    let mut their_names = names(&theirs, |f| f.name());
    our_names.sort();
    their_names.sort();
    assert_eq!(our_names, their_names, "files");
    assert!(our_names.contains(&"google/protobuf/timestamp.proto".to_owned()));
    for file in &ours {
        let theirs = theirs.iter().find(|f| f.name() == file.name()).unwrap();
        compare_file(file, theirs);
    }

    // Ours lists every file after its imports, as protoc's --include_imports does.
    for (i, file) in ours.iter().enumerate() {
        for dependency in &file.dependency {
            let at = ours.iter().position(|f| f.name() == dependency);
            assert!(
                at.is_some_and(|at| at < i),
                "{} before its import {dependency}",
                file.name()
            );
        }
    }
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

const CHECK_MODULES: &str = r#"
import importlib, json, sys
out = sys.argv[1]
sys.path.insert(0, out)
from google.protobuf import json_format
greeter = importlib.import_module("helloworld.v1.greeter_pb2")
greeter_grpc = importlib.import_module("helloworld.v1.greeter_pb2_grpc")
for name in ["shop.v1.catalog_pb2", "shop.v1.catalog_pb2_grpc", "acme.google.v1.clock_pb2", "common.v1.common_pb2"]:
    importlib.import_module(name)
from google.api import annotations_pb2, http_pb2
assert annotations_pb2.__file__.startswith(out), annotations_pb2.__file__
assert http_pb2.__file__.startswith(out), http_pb2.__file__
assert hasattr(greeter_grpc, "GreeterStub") and hasattr(greeter_grpc, "GreeterServicer")

service = greeter.DESCRIPTOR.services_by_name["Greeter"]
rules = {}
for method in service.methods:
    options = method.GetOptions()
    if options.HasExtension(annotations_pb2.http):
        rules[method.name] = json_format.MessageToDict(
            options.Extensions[annotations_pb2.http], preserving_proto_field_name=True)
thing = greeter.Everything(e_tag="x", int64_value=5, limit=0, email="a@b", status=greeter.STATUS_ACTIVE)
thing.counts["k"] = 7
print(json.dumps({
    "rules": rules,
    "json": json_format.MessageToDict(thing),
    "fields": {f.name: [f.number, f.json_name] for f in greeter.Everything.DESCRIPTOR.fields},
    "oneofs": [o.name for o in greeter.Everything.DESCRIPTOR.oneofs],
}, sort_keys=True))
"#;

#[test]
fn grpcio_tools_compiles_the_text_for_python() {
    let (dir, files) = exported();
    let out: PathBuf = dir.path().join("python");
    std::fs::create_dir_all(&out).unwrap();
    run(
        Command::new(python())
            .args(["-m", "grpc_tools.protoc"])
            .arg(format!("-I{}", dir.path().display()))
            .arg(format!("--python_out={}", out.display()))
            .arg(format!("--grpc_python_out={}", out.display()))
            .args(&files),
        "python3 -m grpc_tools.protoc",
    );
    let stdout = run(
        Command::new(python())
            .arg("-c")
            .arg(CHECK_MODULES)
            .arg(&out),
        "python3 importing the generated modules",
    );
    let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(
        report["rules"],
        serde_json::json!({
            "SayHello": {
                "get": "/helloworld/{name}",
                "additional_bindings": [{"post": "/helloworld", "body": "*"}],
            },
            "Store": {"post": "/v1/things", "body": "*"},
            "Patch": {"patch": "/v1/things/{thing.int64_value}", "body": "thing"},
            "Remove": {"delete": "/v1/things/{int64_value}"},
        })
    );
    // JSON names from the descriptors, including one protoc would not derive.
    assert_eq!(
        report["json"],
        serde_json::json!({
            "etag": "x",
            "int64Value": "5",
            "limit": 0,
            "email": "a@b",
            "status": "STATUS_ACTIVE",
            "counts": {"k": "7"},
        })
    );
    assert_eq!(report["fields"]["e_tag"], serde_json::json!([23, "etag"]));
    assert_eq!(
        report["fields"]["by_name"],
        serde_json::json!([13, "byName"])
    );
    assert_eq!(report["oneofs"], serde_json::json!(["contact", "_limit"]));
}
