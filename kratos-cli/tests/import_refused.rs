//! `kratos proto import` and `kratos proto server` as processes, for what they refuse,
//! warn about and never overwrite: each refused construct names its file, line and
//! element, and nothing is written; hand-written files are left alone.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

fn protos() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protos")
}

/// `kratos proto <command> files.. -I each include --out out`.
fn proto(command: &str, files: &[&str], includes: &[&str], out: &Path) -> Output {
    let mut cmd = common::kratos();
    cmd.args(["proto", command]).current_dir(protos());
    for include in includes {
        cmd.args(["-I", include]);
    }
    cmd.args(files).arg("--out").arg(out);
    cmd.output().expect("kratos runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Imports `refused/<file>` and checks it fails with each of `expected` on stderr
/// and writes nothing.
fn refused(file: &str, expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("api");
    let path = format!("refused/{file}");
    let out = proto("import", &[&path], &["refused"], &out_dir);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{file}: {text}");
    for line in expected {
        assert!(text.contains(line), "{file}: expected {line:?} in:\n{text}");
    }
    assert!(
        text.contains("nothing written") || !text.contains("error:"),
        "{text}"
    );
    assert!(!out_dir.exists(), "{file}: something was written");
}

#[test]
fn any_is_refused() {
    refused(
        "any.proto",
        &[
            "kratos: error: any.proto:9: refused.v1.Envelope.payload: google.protobuf.Any has no kratos-rs type",
        ],
    );
}

#[test]
fn struct_is_refused() {
    refused(
        "struct.proto",
        &[
            "kratos: error: struct.proto:8: refused.v1.Settings.values: google.protobuf.Struct (free-form JSON) has no kratos-rs type",
        ],
    );
}

#[test]
fn proto2_required_is_refused() {
    refused(
        "required.proto",
        &[
            "kratos: error: required.proto:6: refused.v1.Login.user: proto2 `required` cannot be imported",
        ],
    );
}

#[test]
fn groups_are_refused() {
    refused(
        "group.proto",
        &["kratos: error: group.proto:7: refused.v1.Search.result: groups cannot be imported"],
    );
}

#[test]
fn extensions_are_refused() {
    refused(
        "extension.proto",
        &[
            "kratos: error: extension.proto:11: refused.v1.note: extensions (`extend`) cannot be imported",
            "kratos: error: extension.proto:5: refused.v1.Base: extension ranges (`extensions N to M`) cannot be imported",
        ],
    );
}

#[test]
fn zigzag_and_fixed_integers_are_refused() {
    refused(
        "sint.proto",
        &[
            "sint.proto:6: refused.v1.Offset.delta: sint32 has no kratos-rs type",
            "declare the field int32",
            "sint.proto:7: refused.v1.Offset.hash: fixed64 has no kratos-rs type",
        ],
    );
}

#[test]
fn custom_json_names_are_refused() {
    refused(
        "json_name.proto",
        &[
            "json_name.proto:6: refused.v1.Tagged.e_tag: json_name \"etag\" cannot be imported: kratos-rs derives the JSON name from the field name (eTag)",
        ],
    );
}

#[test]
fn oneofs_with_gaps_in_their_numbers_are_refused() {
    refused(
        "oneof_gap.proto",
        &[
            "oneof_gap.proto:9: refused.v1.Contact.phone: a kratos-rs oneof numbers its alternatives one after another from the first (2, 3, ...): this one is 4",
        ],
    );
}

#[test]
fn files_without_a_package_are_refused() {
    refused(
        "no_package.proto",
        &[
            "kratos: error: no_package.proto:1: no_package.proto: a file without `package` cannot be imported",
        ],
    );
}

#[test]
fn a_message_named_like_a_written_service_type_is_refused() {
    refused(
        "service_clash.proto",
        &[
            "kratos: error: service_clash.proto:5: refused.v1.Catalog: the service's Rust item `CatalogClient` (#[kratos::service] writes Catalog, CatalogServer and CatalogClient) is already refused.v1.CatalogClient",
        ],
    );
}

#[test]
fn a_type_named_like_a_rust_keyword_is_refused() {
    refused(
        "keyword.proto",
        &[
            "kratos: error: keyword.proto:5: refused.v1.match: `match` is a Rust keyword, which a type cannot be named",
        ],
    );
}

#[test]
fn a_syntax_error_names_its_line() {
    refused(
        "syntax_error.proto",
        &["kratos: syntax_error.proto:7: expected ';' or '[', but found 'string'"],
    );
}

#[test]
fn one_bad_file_writes_nothing_for_the_good_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("api");
    let out = proto(
        "import",
        &["roundtrip/common/v1/common.proto", "refused/any.proto"],
        &["roundtrip", "refused"],
        &out_dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!out_dir.exists());
}

#[test]
fn a_missing_import_names_the_include_directories() {
    let tmp = tempfile::tempdir().unwrap();
    // shop/v1/catalog.proto imports validate/validate.proto, which is under third_party.
    let out = proto(
        "import",
        &["roundtrip/shop/v1/catalog.proto"],
        &["roundtrip"],
        &tmp.path().join("api"),
    );
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("shop/v1/catalog.proto:10: import 'validate/validate.proto' not found"),
        "{text}"
    );
    assert!(
        text.contains("include directories: roundtrip (add one with -I DIR)"),
        "{text}"
    );
}

#[test]
fn bindings_kratos_cannot_serve_are_dropped_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = proto(
        "import",
        &["warned/bindings.proto"],
        &["warned"],
        tmp.path(),
    );
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    for warning in [
        "kratos: warning: bindings.proto:9: warned.v1.Library.GetBook: HTTP binding `get /v1/{name=shelves/*/books/*}` dropped: path patterns",
        "kratos: warning: bindings.proto:18: warned.v1.Library.Head: HTTP binding `HEAD /v1/books/{name}` dropped: custom HTTP verbs are not supported",
        "kratos: warning: bindings.proto:27: warned.v1.Library.Archive: HTTP binding `post /v1/books/{name}:archive body *` dropped: `{name}:archive`: kratos-rs serves a variable only as a whole path segment",
        "kratos: warning: bindings.proto:34: warned.v1.Library.Title: HTTP binding `get /v1/books/{name}/title` dropped: response_body is not supported",
    ] {
        assert!(text.contains(warning), "expected {warning:?} in:\n{text}");
    }
    let rust = std::fs::read_to_string(tmp.path().join("warned_v1.rs")).unwrap();
    // The additional binding kratos-rs can serve stays; the methods stay, gRPC only.
    assert!(
        rust.contains("    #[route(get = \"/v1/books/{name}\")]\n    async fn get_book(&self, req: GetBookRequest) -> kratos::Result<Book>;"),
        "{rust}"
    );
    assert!(
        rust.contains("\n    async fn head(&self, req: GetBookRequest) -> kratos::Result<Book>;"),
        "{rust}"
    );
    assert_eq!(rust.matches("#[route(").count(), 1, "{rust}");
}

#[test]
fn rules_kratos_has_no_form_for_are_dropped_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = proto(
        "import",
        &["warned/rules.proto"],
        &["warned", "third_party"],
        tmp.path(),
    );
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    for warning in [
        "kratos: warning: rules.proto:9: warned.v1.Account.login: validation rule `string.pattern` dropped: the regex crate, which #[rule(pattern)] uses, cannot compile it (look-around, including look-ahead and look-behind, is not supported)",
        "kratos: warning: rules.proto:10: warned.v1.Account.host: validation rule `string.hostname` dropped: kratos-rs has no such #[rule]",
        "kratos: warning: rules.proto:11: warned.v1.Account.version: validation rule `int32.const` dropped: kratos-rs has no such #[rule]",
        "kratos: warning: rules.proto:12: warned.v1.Account.plan: validation rule `enum` dropped: kratos-rs has no such #[rule]",
    ] {
        assert!(text.contains(warning), "expected {warning:?} in:\n{text}");
    }
    let rust = std::fs::read_to_string(tmp.path().join("warned_v1.rs")).unwrap();
    assert!(
        rust.contains("    #[rule(min_len = 3)]\n    pub login: String,"),
        "{rust}"
    );
    assert_eq!(rust.matches("#[rule(").count(), 1, "{rust}");
}

#[test]
fn hand_written_files_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let api = tmp.path().join("api");
    std::fs::create_dir_all(&api).unwrap();
    let mine = "// my own module\npub struct Page;\n";
    std::fs::write(api.join("common_v1.rs"), mine).unwrap();
    let out = proto(
        "import",
        &["roundtrip/common/v1/common.proto"],
        &["roundtrip"],
        &api,
    );
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("common_v1.rs exists and was not written by kratos proto import"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(api.join("common_v1.rs")).unwrap(),
        mine
    );
    assert!(!api.join("mod.rs").exists(), "nothing else is written");

    // Its own output is replaced, and the modules of an earlier import are kept.
    std::fs::remove_file(api.join("common_v1.rs")).unwrap();
    let first = proto(
        "import",
        &["roundtrip/common/v1/common.proto"],
        &["roundtrip"],
        &api,
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let second = proto("import", &["warned/bindings.proto"], &["warned"], &api);
    assert!(second.status.success(), "{}", stderr(&second));
    let again = proto(
        "import",
        &["roundtrip/common/v1/common.proto"],
        &["roundtrip"],
        &api,
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let mod_rs = std::fs::read_to_string(api.join("mod.rs")).unwrap();
    assert!(
        mod_rs.starts_with("// Generated by kratos proto import"),
        "{mod_rs}"
    );
    assert!(
        mod_rs.contains("pub mod common_v1;\npub mod warned_v1;\n"),
        "{mod_rs}"
    );
    // A hand-written mod.rs (as `kratos new` writes src/api/mod.rs) is left as it is:
    // the package modules are written beside it and the command says what to declare.
    let new_api = tmp.path().join("new_api");
    std::fs::create_dir_all(&new_api).unwrap();
    std::fs::write(
        new_api.join("mod.rs"),
        "mod greeter;\npub use greeter::*;\n",
    )
    .unwrap();
    let out = proto(
        "import",
        &["roundtrip/common/v1/common.proto"],
        &["roundtrip"],
        &new_api,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("declare the new modules in it yourself: pub mod common_v1;"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(new_api.join("mod.rs")).unwrap(),
        "mod greeter;\npub use greeter::*;\n"
    );
    assert!(new_api.join("common_v1.rs").exists());
}

#[test]
fn service_stubs_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let service = tmp.path().join("service");
    let out = proto("server", &["warned/bindings.proto"], &["warned"], &service);
    assert!(out.status.success(), "{}", stderr(&out));
    let stub = service.join("library.rs");
    let text = std::fs::read_to_string(&stub).unwrap();
    assert!(text.contains("use crate::api::warned_v1 as pb;"), "{text}");
    assert!(
        text.contains("#[derive(Debug, Default)]\npub struct LibraryService;"),
        "{text}"
    );
    assert!(
        text.contains("#[kratos::service]\nimpl pb::Library for LibraryService {"),
        "{text}"
    );
    assert!(
        text.contains(
            "Err(kratos::Error::new(501, \"UNIMPLEMENTED\", \"method GetBook not implemented\"))"
        ),
        "{text}"
    );
    let edited = text.replace("let _ = req;", "let _ = req.name;");
    std::fs::write(&stub, &edited).unwrap();

    let again = proto("server", &["warned/bindings.proto"], &["warned"], &service);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("library.rs exists: kept as it is"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read_to_string(&stub).unwrap(), edited);

    // A hand-written mod.rs is not touched: the command says what to declare.
    let own = tmp.path().join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("mod.rs"), "pub mod other;\n").unwrap();
    let out = proto("server", &["warned/bindings.proto"], &["warned"], &own);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("declare the new modules in it yourself: pub mod library;"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(own.join("mod.rs")).unwrap(),
        "pub mod other;\n"
    );
    assert!(own.join("library.rs").exists());
}

#[test]
fn help_describes_both_commands() {
    for command in ["import", "server"] {
        let out = common::kratos()
            .args(["proto", command, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("--out <DIR>"), "{text}");
        assert!(text.contains("-I, --proto_path <DIR>"), "{text}");
    }
}

#[test]
fn hostile_files_are_refused_without_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = format!(
        "syntax = \"proto3\";\npackage deep.v1;\n{}{}\n",
        "message M { string f = 1;\n".repeat(5000),
        "}".repeat(5000)
    );
    std::fs::write(tmp.path().join("deep.proto"), deep).unwrap();
    std::fs::write(
        tmp.path().join("binary.proto"),
        (0..=255u8).cycle().take(4096).collect::<Vec<u8>>(),
    )
    .unwrap();
    let run = |file: &str| {
        common::kratos()
            .args(["proto", "import", file, "-I"])
            .arg(tmp.path())
            .arg("--out")
            .arg(tmp.path().join("api"))
            .current_dir(tmp.path())
            .output()
            .unwrap()
    };
    let out = run("deep.proto");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("kratos: deep.proto:103: blocks nest 101 deep, past the limit of 100"),
        "{}",
        stderr(&out)
    );
    let out = run("binary.proto");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not valid utf-8"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("api").exists());
}
