//! `#[rule(..)]` in the exported `.proto`: the rules the macro wrote for the
//! validation tests' `Rules` message (every rule kind) and helloworld's
//! `HelloRequest.name` come out as protovalidate options that Debian's `protoc`
//! compiles, and the descriptor set it writes carries them as `buf.validate`
//! extensions, read back with `protoc --decode`; and protovalidate's own Python
//! runtime, reading the exported files, finds in each broken request of the
//! validation tests the violation kratos finds (same field path, same rule id).

use std::path::Path;
use std::process::Command;

use kratos::prelude::*;

use crate::process;
use crate::validation::{Checked, RuleCheck, RuleCheckServer, Rules, cases, valid};

struct Exported;

impl RuleCheck for Exported {
    async fn check(&self, _req: Rules) -> kratos::Result<Checked> {
        Ok(Checked {})
    }
}

fn run(command: &mut Command, what: &str) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what} ({e}): `bash .ci/setup` installs protoc"));
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Compiles `file` (relative to `dir`) with its imports into a descriptor set and
/// returns protoc's text of it from that file on, whitespace runs made one space.
fn compiled(dir: &Path, file: &str) -> String {
    let set = dir.join("set.pb");
    run(
        Command::new("protoc")
            .arg(format!("-I{}", dir.display()))
            .arg("--include_imports")
            .arg(format!("--descriptor_set_out={}", set.display()))
            .arg(file),
        "protoc",
    );
    let text = run(
        Command::new("protoc")
            .arg(format!("-I{}", dir.display()))
            .arg("--decode=google.protobuf.FileDescriptorSet")
            .arg("google/protobuf/descriptor.proto")
            .arg("buf/validate/validate.proto")
            .stdin(std::fs::File::open(&set).unwrap()),
        "protoc --decode",
    );
    let text = String::from_utf8(text)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let start = text
        .find(&format!("name: \"{file}\""))
        .unwrap_or_else(|| panic!("{file} not in the set: {text}"));
    text[start..].to_owned()
}

/// The options of field `name` in the decoded text, `""` when it has none.
fn options_of<'a>(text: &'a str, name: &str) -> &'a str {
    let at = text
        .find(&format!("field {{ name: \"{name}\""))
        .unwrap_or_else(|| panic!("no field {name} in {text}"));
    let field = &text[at..];
    let field = &field[..field.find(" json_name:").unwrap()];
    let Some(start) = field.find(" options {") else {
        return "";
    };
    let options = &field[start + 1..];
    let mut depth = 0;
    for (i, c) in options.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &options[..=i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    options
}

#[test]
fn every_rule_kind_reaches_protoc_as_a_buf_validate_option() {
    let app = App::builder()
        .handle_signals(false)
        .service(RuleCheckServer::new(Exported))
        .build();
    let dir = tempfile::tempdir().unwrap();
    kratos::bootstrap::export_proto(&app, dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("rules/v1/rule_check.proto")).unwrap();
    assert!(
        text.contains("import \"buf/validate/validate.proto\";"),
        "{text}"
    );
    assert!(
        text.contains(
            "  string name = 1 [(buf.validate.field).string = {min_len: 1, max_len: 4}];"
        ),
        "{text}"
    );

    let set = compiled(dir.path(), "rules/v1/rule_check.proto");
    let field = |name: &str, rules: &str| {
        assert_eq!(
            options_of(&set, name),
            format!("options {{ [buf.validate.field] {{ {rules} }} }}"),
            "{name}"
        );
    };
    // protoc lists a rules message's fields in number order.
    field("name", "string { min_len: 1 max_len: 4 }");
    field("code", "string { min_len: 2 max_len: 3 }");
    field("raw", "string { min_bytes: 2 max_bytes: 4 }");
    field("slug", "string { pattern: \"^[a-z]+$\" }");
    field(
        "version",
        "string { prefix: \"v\" suffix: \"x\" contains: \"1\" }",
    );
    field("login", "string { not_contains: \"admin\" }");
    field("email", "string { email: true }");
    field("site", "string { uri: true }");
    field("id", "string { uuid: true }");
    field("ip", "string { ip: true }");
    field("v4", "string { ipv4: true }");
    field("v6", "string { ipv6: true }");
    field("small", "int32 { lt: 10 gt: 0 }");
    field("count", "uint64 { gte: 1 }");
    field("ratio", "double { lte: 1.5 }");
    field("color", "string { in: \"red\" in: \"green\" }");
    field("lucky", "int64 { not_in: 0 not_in: 13 }");
    field("blob", "bytes { len: 2 }");
    field("place", "required: true");
    field(
        "tags",
        "repeated { min_items: 1 max_items: 3 unique: true items { string { min_len: 1 } } }",
    );
    field(
        "labels",
        "map { min_pairs: 1 max_pairs: 2 keys { string { max_len: 3 } } values { int32 { gte: 0 } } }",
    );
    field("nickname", "string { min_len: 1 }");
    // A field without rules, and the oneof's alternatives, carry none.
    assert_eq!(options_of(&set, "stops"), "");
    assert_eq!(options_of(&set, "mail"), "");
    assert!(
        set.contains(
            "oneof_decl { name: \"reach\" options { [buf.validate.oneof] { required: true } } }"
        ),
        "{set}"
    );
    // The nested message's own rule is on its own field.
    let place = &set[set.find("name: \"Place\"").unwrap()..];
    assert_eq!(
        options_of(place, "city"),
        "options { [buf.validate.field] { string { min_len: 1 max_len: 8 } } }"
    );
}

/// helloworld as a user exports it: `HelloRequest.name` is 1 to 64 characters in
/// the `.proto`, beside the buf/validate/validate.proto it imports.
#[test]
fn helloworld_exports_the_name_rule_for_protoc() {
    let dir = tempfile::tempdir().unwrap();
    let export = Command::new(process::example_binary("helloworld"))
        .arg("-export-proto")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let listed = String::from_utf8_lossy(&export.stdout);
    assert!(listed.contains("buf/validate/validate.proto"), "{listed}");
    let text = std::fs::read_to_string(dir.path().join("helloworld/v1/greeter.proto")).unwrap();
    assert!(
        text.contains(
            "  string name = 1 [(buf.validate.field).string = {min_len: 1, max_len: 64}];\n"
        ),
        "{text}"
    );
    let set = compiled(dir.path(), "helloworld/v1/greeter.proto");
    assert_eq!(
        options_of(&set, "name"),
        "options { [buf.validate.field] { string { min_len: 1 max_len: 64 } } }"
    );
    assert_eq!(options_of(&set, "message"), "");
}

/// The exported rules enforced by a validator this project did not write:
/// bufbuild's protovalidate for Python, over classes grpcio-tools generates from the
/// export (so through our buf/validate/validate.proto), on the validation tests'
/// valid request and each of their broken ones, encoded by kratos.
#[test]
fn protovalidate_enforces_the_exported_rules_as_kratos_does() {
    use std::fmt::Write as _;
    use std::io::Write as _;

    let app = App::builder()
        .handle_signals(false)
        .service(RuleCheckServer::new(Exported))
        .build();
    let dir = tempfile::tempdir().unwrap();
    kratos::bootstrap::export_proto(&app, dir.path()).unwrap();

    let mut requests = vec![valid()];
    let mut expected = vec![Vec::new()];
    for (breaker, field, rule) in cases() {
        let mut request = valid();
        breaker(&mut request);
        requests.push(request);
        expected.push(vec![(field.to_owned(), rule.to_owned())]);
    }
    let mut input = String::new();
    for request in &requests {
        for byte in kratos::__private::prost::Message::encode_to_vec(request) {
            let _ = write!(input, "{byte:02x}");
        }
        input.push('\n');
    }
    let mut child = process::python("protovalidate_check.py")
        .arg(dir.path())
        .args(["rules.v1.rule_check_pb2", "Rules"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "protovalidate_check.py failed (`bash .ci/setup` installs protovalidate):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Vec<Vec<(String, String)>> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(seen.len(), requests.len());
    for ((request, want), got) in requests.iter().zip(&expected).zip(&seen) {
        // kratos's own check agrees with the case, so both validators agree.
        let ours: Vec<(String, String)> = match kratos::__private::field_rules::check(request) {
            Ok(()) => Vec::new(),
            Err(e) => vec![(
                e.metadata["violations.0.field"].clone(),
                e.metadata["violations.0.rule"].clone(),
            )],
        };
        assert_eq!(&ours, want, "kratos on {request:?}");
        assert_eq!(got, want, "protovalidate on {request:?}");
    }
}
