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

/// Every violation kratos's own check finds in `request`, as (field path, rule id), sorted.
fn kratos_violations(request: &Rules) -> Vec<(String, String)> {
    let Err(error) = kratos::__private::field_rules::check(request) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = (0..)
        .map_while(|i| {
            let field = error.metadata.get(&format!("violations.{i}.field"))?;
            let rule = &error.metadata[&format!("violations.{i}.rule")];
            Some((field.clone(), rule.clone()))
        })
        .collect();
    found.sort();
    found
}

/// What bufbuild's protovalidate for Python (a validator this project did not
/// write) finds in each request, reading the rules from the `.proto` files kratos
/// exports, through classes grpcio-tools generates from them (and so through our
/// buf/validate/validate.proto); the requests are encoded by kratos.
fn protovalidate_violations(requests: &[Rules]) -> Vec<Vec<(String, String)>> {
    use std::fmt::Write as _;
    use std::io::Write as _;

    let app = App::builder()
        .handle_signals(false)
        .service(RuleCheckServer::new(Exported))
        .build();
    let dir = tempfile::tempdir().unwrap();
    kratos::bootstrap::export_proto(&app, dir.path()).unwrap();
    let mut input = String::new();
    for request in requests {
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
    seen
}

/// The validation tests' valid request and each of their broken ones: protovalidate
/// finds exactly the one violation kratos finds, same field path, same rule id.
#[test]
fn protovalidate_enforces_the_exported_rules_as_kratos_does() {
    let mut requests = vec![valid()];
    let mut expected = vec![Vec::new()];
    for (breaker, field, rule) in cases() {
        let mut request = valid();
        breaker(&mut request);
        requests.push(request);
        expected.push(vec![(field.to_owned(), rule.to_owned())]);
    }
    let seen = protovalidate_violations(&requests);
    for ((request, want), got) in requests.iter().zip(&expected).zip(&seen) {
        assert_eq!(&kratos_violations(request), want, "kratos on {request:?}");
        assert_eq!(got, want, "protovalidate on {request:?}");
    }
}

/// Values at the edges of the formats and counts: whatever protovalidate answers,
/// kratos answers the same (an empty value breaks a format as `string.email_empty`).
#[test]
fn protovalidate_and_kratos_agree_at_the_edges() {
    type Edit = Box<dyn Fn(&mut Rules)>;
    let mut edits: Vec<(String, Edit)> = Vec::new();
    let mut text = |name: &'static str, set: fn(&mut Rules, String), values: &[&str]| {
        for value in values {
            let value = (*value).to_owned();
            edits.push((
                format!("{name} = {value:?}"),
                Box::new(move |r| set(r, value.clone())),
            ));
        }
    };
    text(
        "email",
        |r, v| r.email = v,
        &[
            "",
            "a@b",
            "a@b.c",
            "a.b+c@example.com",
            "a b@c.d",
            "<a@b.c>",
            "a@b.c.",
            "a@-b.c",
            "a@b_c.d",
            "\"a\"@b.c",
            "a@[1.2.3.4]",
            "é@b.c",
            "a@é.c",
        ],
    );
    text(
        "site",
        |r, v| r.site = v,
        &[
            "",
            "http://x",
            "http://[::1]:80/a?b#c",
            "mailto:a@b",
            "http:// x",
            "x:",
            "urn:isbn:1",
            "http://a/%zz",
            "https://é.com/",
            "1http://a",
        ],
    );
    text(
        "id",
        |r, v| r.id = v,
        &[
            "",
            "123E4567-E89B-12D3-A456-426614174000",
            "123e4567e89b12d3a456426614174000",
            "{123e4567-e89b-12d3-a456-426614174000}",
            "00000000-0000-0000-0000-000000000000",
        ],
    );
    text(
        "ip",
        |r, v| r.ip = v,
        &[
            "",
            "::ffff:1.2.3.4",
            "1.2.3.04",
            "fe80::1%eth0",
            "1.2.3.4/8",
            "255.255.255.255",
            "256.1.1.1",
        ],
    );
    text(
        "v4",
        |r, v| r.v4 = v,
        &["", "01.2.3.4", "1.2.3.4 ", "0.0.0.0", "1.2.3"],
    );
    text(
        "v6",
        |r, v| r.v6 = v,
        &[
            "",
            "::",
            "1::2::3",
            "::1.2.3.4",
            "fe80::1%eth0",
            "[::1]",
            "fe80::1%",
            "fe80::1%a%b",
            "fe80::1%é",
            "fe80::1%a b",
        ],
    );
    text(
        "name",
        |r, v| r.name = v,
        &["e\u{301}e\u{301}", "👍👍👍👍", "👍👍👍👍👍"],
    );
    text("raw", |r, v| r.raw = v, &["👍", "ab"]);
    text("slug", |r, v| r.slug = v, &["abc\n", "ABC", "é"]);

    let requests: Vec<Rules> = edits
        .iter()
        .map(|(_, edit)| {
            let mut request = valid();
            edit(&mut request);
            request
        })
        .collect();
    let seen = protovalidate_violations(&requests);
    let mut differ = Vec::new();
    for ((what, _), (request, theirs)) in edits.iter().zip(requests.iter().zip(&seen)) {
        let ours = kratos_violations(request);
        if &ours != theirs {
            differ.push(format!("{what}: kratos {ours:?}, protovalidate {theirs:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
