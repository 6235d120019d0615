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
// The fixtures reach the rule types through `super`.
use kratos_core::descriptor::proto_text::export;
use kratos_core::field_rules;
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

/// The rules service's files, exported into a fresh directory.
fn exported_rules() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let written = export(&[&fixtures::RULES], dir.path()).unwrap();
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

const RULES_PROTO: &str = r#"// Written by kratos from the service descriptors: change the Rust definitions, not this file.

syntax = "proto3";

package rules.v1;

import "buf/validate/validate.proto";

service Rules {
  rpc Check(RulesRequest) returns (HelloReply);
}

message RulesRequest {
  // 1 to 64 characters.
  string name = 1 [(buf.validate.field).string = {min_len: 1, max_len: 64}];
  string code = 2 [(buf.validate.field).string = {len: 4, pattern: "^[A-Z]\\d+$"}];
  string title = 3 [(buf.validate.field).string = {min_bytes: 1, max_bytes: 200, prefix: "a", suffix: "z", contains: "m", not_contains: "\"q\""}];
  string mail = 4 [(buf.validate.field).string = {email: true}];
  string site = 5 [(buf.validate.field).string = {uri: true}];
  string uid = 6 [(buf.validate.field).string = {uuid: true}];
  string addr = 7 [(buf.validate.field).string = {ip: true}];
  string addr4 = 8 [(buf.validate.field).string = {ipv4: true}];
  string addr6 = 9 [(buf.validate.field).string = {ipv6: true}];
  string color = 10 [(buf.validate.field).string = {in: ["red", "green"]}];
  string word = 11 [(buf.validate.field).string = {not_in: ["x"]}];
  int32 age = 12 [(buf.validate.field).int32 = {gte: 0, lt: 150}];
  int64 id = 13 [(buf.validate.field).int64 = {gt: -5}];
  uint32 count = 14 [(buf.validate.field).uint32 = {lte: 10, in: [1, 2]}];
  uint64 big = 15 [(buf.validate.field).uint64 = {not_in: [0]}];
  double ratio = 16 [(buf.validate.field).double = {gt: 0, lte: 1}];
  float weight = 17 [(buf.validate.field).float = {gte: -1.5, lt: 2.25}];
  bytes blob = 18 [(buf.validate.field).bytes = {min_len: 1, max_len: 16}];
  bytes hash = 19 [(buf.validate.field).bytes = {len: 32}];
  optional int32 limit = 20 [(buf.validate.field).required = true, (buf.validate.field).int32 = {gte: 1}];
  Child child = 21 [(buf.validate.field).required = true];
  repeated string tags = 22 [(buf.validate.field).repeated = {min_items: 1, max_items: 5, unique: true, items: {string: {min_len: 1}}}];
  map<string, int64> counts = 23 [(buf.validate.field).map = {min_pairs: 1, max_pairs: 3, keys: {string: {max_len: 8}}, values: {int64: {gte: 0}}}];
  oneof contact {
    option (buf.validate.oneof).required = true;
    // By mail.
    string email = 24;
    Child person = 25;
  }
  string display_name = 26 [json_name = "name2", (buf.validate.field).string = {min_len: 2}];
}

// A nested message.
message Child {
  string id = 1;
  // Shown to people.
  string display_name = 2;
}

message HelloReply {
  string message = 1;
}
"#;

#[test]
fn rules_are_written_as_protovalidate_options_with_the_file_they_need() {
    let (dir, files) = exported_rules();
    assert_eq!(
        files,
        ["buf/validate/validate.proto", "rules/v1/rules.proto"]
    );
    let text = std::fs::read_to_string(dir.path().join("rules/v1/rules.proto")).unwrap();
    for (i, (got, want)) in text.lines().zip(RULES_PROTO.lines()).enumerate() {
        assert_eq!(got, want, "line {}", i + 1);
    }
    assert_eq!(text, RULES_PROTO);

    let validate = std::fs::read_to_string(dir.path().join("buf/validate/validate.proto")).unwrap();
    assert!(
        validate.contains("proto/protovalidate/buf/validate/validate.proto"),
        "names its upstream: {validate}"
    );
    assert!(validate.contains("package buf.validate;"), "{validate}");

    // Files without rules neither import nor bring it.
    let (plain, plain_files) = exported();
    assert!(
        !plain_files.iter().any(|f| f.starts_with("buf/")),
        "{plain_files:?}"
    );
    let greeter =
        std::fs::read_to_string(plain.path().join("helloworld/v1/greeter.proto")).unwrap();
    assert!(!greeter.contains("buf.validate"), "{greeter}");
    assert!(!greeter.contains("buf/validate"), "{greeter}");
}

/// protoc's decoded text of a descriptor set, with every run of whitespace made one
/// space, so a test can look for a field with its options on one line.
fn decoded(dir: &Path, set: &Path) -> String {
    let text = run(
        Command::new("protoc")
            .arg(format!("-I{}", dir.display()))
            .arg("--decode=google.protobuf.FileDescriptorSet")
            .arg("google/protobuf/descriptor.proto")
            .arg("buf/validate/validate.proto")
            .stdin(std::fs::File::open(set).unwrap()),
        "protoc --decode",
    );
    String::from_utf8(text)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` up to the brace that closes its first `{`.
fn braced(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &text[..=i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    text
}

/// A field as protoc's decoded descriptor set shows it, with its protovalidate options.
fn field_text(name: &str, number: u32, label: &str, ty: &str, rules: &str) -> String {
    format!(
        "name: \"{name}\" number: {number} label: {label} type: {ty} options {{ [buf.validate.field] {{ {rules} }} }}"
    )
}

#[test]
fn protoc_compiles_the_rules_into_buf_validate_options() {
    let (dir, files) = exported_rules();
    let set = dir.path().join("rules.pb");
    run(
        Command::new("protoc")
            .arg(format!("-I{}", dir.path().display()))
            .arg("--include_imports")
            .arg(format!("--descriptor_set_out={}", set.display()))
            .args(&files),
        "protoc",
    );
    let all = decoded(dir.path(), &set);
    // The set holds descriptor.proto and validate.proto too: look in rules.proto only.
    let text = &all[all.find("name: \"rules/v1/rules.proto\"").unwrap()..];
    let (opt, rep) = ("LABEL_OPTIONAL", "LABEL_REPEATED");
    let (string, bytes) = ("TYPE_STRING", "TYPE_BYTES");
    let expected = [
        field_text("name", 1, opt, string, "string { min_len: 1 max_len: 64 }"),
        // protoc writes the fields of a rules message in number order.
        field_text(
            "code",
            2,
            opt,
            string,
            "string { pattern: \"^[A-Z]\\\\d+$\" len: 4 }",
        ),
        field_text(
            "title",
            3,
            opt,
            string,
            "string { min_bytes: 1 max_bytes: 200 prefix: \"a\" suffix: \"z\" contains: \"m\" not_contains: \"\\\"q\\\"\" }",
        ),
        field_text("mail", 4, opt, string, "string { email: true }"),
        field_text("site", 5, opt, string, "string { uri: true }"),
        field_text("uid", 6, opt, string, "string { uuid: true }"),
        field_text("addr", 7, opt, string, "string { ip: true }"),
        field_text("addr4", 8, opt, string, "string { ipv4: true }"),
        field_text("addr6", 9, opt, string, "string { ipv6: true }"),
        field_text(
            "color",
            10,
            opt,
            string,
            "string { in: \"red\" in: \"green\" }",
        ),
        field_text("word", 11, opt, string, "string { not_in: \"x\" }"),
        field_text("age", 12, opt, "TYPE_INT32", "int32 { lt: 150 gte: 0 }"),
        field_text("id", 13, opt, "TYPE_INT64", "int64 { gt: -5 }"),
        field_text(
            "count",
            14,
            opt,
            "TYPE_UINT32",
            "uint32 { lte: 10 in: 1 in: 2 }",
        ),
        field_text("big", 15, opt, "TYPE_UINT64", "uint64 { not_in: 0 }"),
        field_text("ratio", 16, opt, "TYPE_DOUBLE", "double { lte: 1 gt: 0 }"),
        field_text(
            "weight",
            17,
            opt,
            "TYPE_FLOAT",
            "float { lt: 2.25 gte: -1.5 }",
        ),
        field_text("blob", 18, opt, bytes, "bytes { min_len: 1 max_len: 16 }"),
        field_text("hash", 19, opt, bytes, "bytes { len: 32 }"),
        field_text(
            "limit",
            20,
            opt,
            "TYPE_INT32",
            "int32 { gte: 1 } required: true",
        ),
        field_text("child", 21, opt, "TYPE_MESSAGE", "required: true"),
        field_text(
            "tags",
            22,
            rep,
            string,
            "repeated { min_items: 1 max_items: 5 unique: true items { string { min_len: 1 } } }",
        ),
        field_text(
            "counts",
            23,
            rep,
            "TYPE_MESSAGE",
            "map { min_pairs: 1 max_pairs: 3 keys { string { max_len: 8 } } values { int64 { gte: 0 } } }",
        ),
    ];
    for field in expected {
        // The type name of a message field sits between its type and its options.
        let (head, options) = field.split_once(" options ").unwrap();
        let found = text
            .find(head)
            .unwrap_or_else(|| panic!("no `{head}` in {text}"));
        let rest = &text[found..];
        let at = rest.find(" options ").unwrap() + 1;
        assert_eq!(braced(&rest[at..]), format!("options {options}"), "{head}");
    }
    assert!(
        text.contains(
            "oneof_decl { name: \"contact\" options { [buf.validate.oneof] { required: true } } }"
        ),
        "{text}"
    );
    // Fields without rules carry no options.
    let child = text.find("name: \"Child\"").unwrap();
    assert!(!text[child..].contains("[buf.validate"), "{text}");
}

const CHECK_RULES: &str = r#"
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
from google.protobuf import json_format
from buf.validate import validate_pb2
rules = importlib.import_module("rules.v1.rules_pb2")
message = rules.RulesRequest.DESCRIPTOR
fields = {
    f.name: json_format.MessageToDict(f.GetOptions().Extensions[validate_pb2.field])
    for f in message.fields
}
oneof = message.oneofs_by_name["contact"].GetOptions().Extensions[validate_pb2.oneof]
print(json.dumps({"fields": fields, "oneof": json_format.MessageToDict(oneof)}))
"#;

#[test]
fn python_protobuf_reads_the_rules_from_grpcio_tools_output() {
    let (dir, files) = exported_rules();
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
        Command::new(python()).arg("-c").arg(CHECK_RULES).arg(&out),
        "python3 reading the rules",
    );
    let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let fields = &report["fields"];
    assert_eq!(
        fields["name"],
        serde_json::json!({"string": {"minLen": "1", "maxLen": "64"}})
    );
    assert_eq!(
        fields["limit"],
        serde_json::json!({"required": true, "int32": {"gte": 1}})
    );
    assert_eq!(
        fields["tags"],
        serde_json::json!({"repeated": {"minItems": "1", "maxItems": "5", "unique": true, "items": {"string": {"minLen": "1"}}}})
    );
    assert_eq!(
        fields["counts"],
        serde_json::json!({"map": {"minPairs": "1", "maxPairs": "3", "keys": {"string": {"maxLen": "8"}}, "values": {"int64": {"gte": "0"}}}})
    );
    assert_eq!(
        fields["ratio"],
        serde_json::json!({"double": {"gt": 0.0, "lte": 1.0}})
    );
    assert_eq!(fields["email"], serde_json::json!({}));
    assert_eq!(report["oneof"], serde_json::json!({"required": true}));
}
