//! The two google/api files the `google.api.http` options need, written for kratos
//! (not copied): `HttpRule` and `CustomHttpPattern` with google's field numbers, and
//! the `MethodOptions` extension under google's number 72295728, so tools that know
//! google's own definitions read the options the same way.

/// Where the `google.api.http` option is declared; imported by files with routes.
pub const ANNOTATIONS_PATH: &str = "google/api/annotations.proto";
/// Where `google.api.HttpRule` is declared.
pub const HTTP_PATH: &str = "google/api/http.proto";

pub(super) const HTTP_PROTO: &str = r#"// google.api.HttpRule as kratos routes use it, with the field numbers of google's
// own google/api/http.proto, so the options written with it read the same to any
// tool that knows google's definition.
syntax = "proto3";

package google.api;

// One HTTP binding of an RPC: a verb with a path template, and where the body goes.
message HttpRule {
  // The method the rule applies to, when it is given outside the method.
  string selector = 1;
  // The verb and the path template; variables name request fields.
  oneof pattern {
    string get = 2;
    string put = 3;
    string post = 4;
    string delete = 5;
    string patch = 6;
    // A verb other than these five.
    CustomHttpPattern custom = 8;
  }
  // The request field the body fills, or "*" for the whole request; empty for none.
  string body = 7;
  // The reply field sent as the body; empty for the whole reply.
  string response_body = 12;
  // More bindings of the same method.
  repeated HttpRule additional_bindings = 11;
}

// A binding with another verb.
message CustomHttpPattern {
  // The verb.
  string kind = 1;
  // The path template.
  string path = 2;
}
"#;

pub(super) const ANNOTATIONS_PROTO: &str = r#"// The google.api.http method option, under google's extension number.
syntax = "proto3";

package google.api;

import "google/api/http.proto";
import "google/protobuf/descriptor.proto";

extend google.protobuf.MethodOptions {
  // How the method is served over HTTP.
  HttpRule http = 72295728;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_files_declare_google_numbers() {
        let http = HTTP_PROTO;
        for line in [
            "package google.api;",
            "message HttpRule {",
            "  oneof pattern {",
            "    string get = 2;",
            "    string put = 3;",
            "    string post = 4;",
            "    string delete = 5;",
            "    string patch = 6;",
            "    CustomHttpPattern custom = 8;",
            "  string body = 7;",
            "  string response_body = 12;",
            "  repeated HttpRule additional_bindings = 11;",
            "message CustomHttpPattern {",
        ] {
            assert!(http.lines().any(|l| l == line), "{line}");
        }
        let annotations = ANNOTATIONS_PROTO;
        assert!(annotations.contains("extend google.protobuf.MethodOptions {\n"));
        assert!(annotations.contains("  HttpRule http = 72295728;\n"));
    }
}
