//! Tests of the parent module.

use super::*;
use crate::descriptor::fixtures;

fn files() -> Vec<(String, String)> {
    proto_files(&[&fixtures::GREETER, &fixtures::CATALOG, &fixtures::CLOCK])
}

fn text(path: &str) -> String {
    files().into_iter().find(|(p, _)| p == path).unwrap().1
}

const GREETER: &str = r#"// Written by kratos from the service descriptors: change the Rust definitions, not this file.

syntax = "proto3";

package helloworld.v1;

import "common/v1/common.proto";
import "google/api/annotations.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";

// The greeting service definition.
service Greeter {
  // Sends a greeting.
  rpc SayHello(HelloRequest) returns (HelloReply) {
    option (google.api.http) = {
      get: "/helloworld/{name}"
      additional_bindings {
        post: "/helloworld"
        body: "*"
      }
    };
  }

  rpc Store(Everything) returns (Everything) {
    option (google.api.http) = {
      post: "/v1/things"
      body: "*"
    };
  }

  rpc Patch(PatchRequest) returns (Everything) {
    option (google.api.http) = {
      patch: "/v1/things/{thing.int64_value}"
      body: "thing"
    };
  }

  rpc Remove(Everything) returns (HelloReply) {
    option (google.api.http) = {
      delete: "/v1/things/{int64_value}"
    };
  }

  rpc Ping(PingRequest) returns (HelloReply);
}

// The request message containing the user's name.
message HelloRequest {
  // Who to greet.
  string name = 1;
  common.v1.Page page = 2;
}

message HelloReply {
  string message = 1;
}

// Every kind of field.
// Second line.
message Everything {
  double double_value = 1;
  float float_value = 2;
  int32 int32_value = 3;
  // The id.
  int64 int64_value = 4;
  uint32 uint32_value = 5;
  uint64 uint64_value = 6;
  bool bool_value = 7;
  string string_value = 8;
  bytes bytes_value = 9;
  repeated string tags = 10;
  repeated Child children = 11;
  map<string, int64> counts = 12;
  map<string, Child> by_name = 13;
  // At most this many.
  optional int32 limit = 14;
  Child child = 15;
  Status status = 16;
  // How to reach it.
  oneof contact {
    // By mail.
    string email = 17;
    Child person = 18;
  }
  google.protobuf.Timestamp created_at = 20;
  google.protobuf.Duration ttl = 21;
  Everything next = 22;
  // Named by hand.
  string e_tag = 23 [json_name = "etag"];
  repeated int64 ids = 30;
  repeated Status statuses = 31;
}

// A nested message.
message Child {
  string id = 1;
  // Shown to people.
  string display_name = 2;
}

message PatchRequest {
  Everything thing = 1;
  bool dry_run = 2;
}

message PingRequest {}

// Where a thing stands.
enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_ACTIVE = 1;
  STATUS_BLOCKED = 2;
}
"#;

#[test]
fn greeter_file() {
    let text = text("helloworld/v1/greeter.proto");
    if text != GREETER {
        for (i, (got, want)) in text.lines().zip(GREETER.lines()).enumerate() {
            assert_eq!(got, want, "line {}", i + 1);
        }
        assert_eq!(text, GREETER);
    }
}

#[test]
fn paths_dependencies_first_without_well_known_files() {
    let paths: Vec<_> = files().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "google/api/http.proto",
            "google/api/annotations.proto",
            "acme/google/v1/clock.proto",
            "common/v1/common.proto",
            "helloworld/v1/greeter.proto",
            "shop/v1/catalog.proto",
        ]
    );
}

#[test]
fn google_api_files_only_for_routes() {
    let files = proto_files(&[&fixtures::CATALOG]);
    let paths: Vec<_> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["common/v1/common.proto", "shop/v1/catalog.proto"]);
    assert!(!files[1].1.contains("google/api"), "{}", files[1].1);
    assert!(
        files[1]
            .1
            .contains("  rpc List(ListRequest) returns (ListReply);\n")
    );
}

#[test]
fn names_another_scope_would_capture_are_absolute() {
    let clock = text("acme/google/v1/clock.proto");
    assert!(
        clock.contains("    option (.google.api.http) = {\n      get: \"/v1/now\"\n    };\n"),
        "{clock}"
    );
    assert!(
        clock.contains("  .google.protobuf.Timestamp at = 1;\n"),
        "{clock}"
    );
    assert!(
        clock.contains("  map<string, int32> counts = 2;\n"),
        "{clock}"
    );
    assert!(
        clock.contains("  .acme.google.v1.CountsEntry other = 3;\n"),
        "{clock}"
    );
    assert!(
        clock.contains("  rpc Now(PingRequest) returns (TimeReply) {\n"),
        "{clock}"
    );
    // The same message elsewhere needs no dot.
    assert!(
        text("helloworld/v1/greeter.proto")
            .contains("  google.protobuf.Timestamp created_at = 20;\n")
    );
}

#[test]
fn json_names_protoc_would_derive() {
    assert_eq!(protoc_json_name("display_name"), "displayName");
    assert_eq!(protoc_json_name("int64_value"), "int64Value");
    assert_eq!(protoc_json_name("e_tag"), "eTag");
    assert_eq!(protoc_json_name("x__y_"), "xY");
}

#[test]
fn export_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let written = export(&[&fixtures::GREETER], dir.path()).unwrap();
    assert_eq!(written.len(), 4);
    assert_eq!(written[2], dir.path().join("common/v1/common.proto"));
    let greeter = std::fs::read_to_string(dir.path().join("helloworld/v1/greeter.proto")).unwrap();
    assert_eq!(greeter, GREETER);
}
