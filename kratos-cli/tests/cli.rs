//! The `kratos` command as a process: `--help` of every command, `--version`,
//! `proto add` (its file compiles with protoc; an existing file or a flat path is
//! refused) and `kratos run` of a generated project.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{curl, kratos, kratos_in, new_project};

#[test]
fn every_command_has_help() {
    for (args, says) in [
        (&["--help"][..], "Usage: kratos <COMMAND>"),
        (&["new", "--help"], "Usage: kratos new [OPTIONS] <NAME>"),
        (&["proto", "--help"], "Usage: kratos proto <COMMAND>"),
        (
            &["proto", "add", "--help"],
            "Usage: kratos proto add <PATH>",
        ),
        (
            &["proto", "export", "--help"],
            "Usage: kratos proto export [OPTIONS]",
        ),
        (
            &["run", "--help"],
            "Usage: kratos run [OPTIONS] [-- <ARGS>...]",
        ),
        (&["help", "new"], "--path-dep <DIR>"),
    ] {
        let out = kratos().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(says), "kratos {args:?} --help:\n{text}");
    }
    let listed = String::from_utf8(kratos().arg("--help").output().unwrap().stdout).unwrap();
    for command in ["new", "proto", "run"] {
        assert!(listed.contains(&format!("\n  {command} ")), "{listed}");
    }
}

#[test]
fn version_and_bad_usage() {
    let out = kratos().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("kratos {}\n", env!("CARGO_PKG_VERSION"))
    );
    for args in [
        &["frobnicate"][..],
        &[],
        &["new"],
        &["new", "x", "--registry", "zookeeper"],
    ] {
        let out = kratos().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn proto_add_writes_go_kratos_crud_template_that_protoc_compiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"blog\"\n",
    )
    .unwrap();
    let out = kratos_in(dir.path(), &["proto", "add", "api/blog/v1/article.proto"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("api/blog/v1/article.proto")).unwrap();
    for line in [
        "package api.blog.v1;",
        "option go_package = \"blog/api/blog/v1;v1\";",
        "option java_multiple_files = true;",
        "option java_package = \"api.blog.v1\";",
        "service Article {",
        "rpc CreateArticle (CreateArticleRequest) returns (CreateArticleReply);",
        "rpc ListArticle (ListArticleRequest) returns (ListArticleReply);",
        "message DeleteArticleReply {}",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }

    // protoc reads it: five methods, ten messages.
    let set = dir.path().join("set.pb");
    let protoc = Command::new("protoc")
        .current_dir(dir.path())
        .args(["-I.", "--descriptor_set_out"])
        .arg(&set)
        .arg("api/blog/v1/article.proto")
        .output()
        .expect("protoc runs (Debian's protobuf-compiler, installed by .ci/setup)");
    assert!(
        protoc.status.success(),
        "{}",
        String::from_utf8_lossy(&protoc.stderr)
    );
    let decoded = Command::new("protoc")
        .args([
            "--decode=google.protobuf.FileDescriptorSet",
            "google/protobuf/descriptor.proto",
        ])
        .stdin(std::fs::File::open(&set).unwrap())
        .output()
        .unwrap();
    let decoded = String::from_utf8(decoded.stdout).unwrap();
    assert_eq!(decoded.matches("\n    method {").count(), 5, "{decoded}");
    assert_eq!(
        decoded.matches("\n  message_type {").count(),
        10,
        "{decoded}"
    );

    // Run again: refused, the file left as it was.
    std::fs::write(dir.path().join("api/blog/v1/article.proto"), "// mine\n").unwrap();
    let out = kratos_in(dir.path(), &["proto", "add", "api/blog/v1/article.proto"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("api/blog/v1/article.proto already exists"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("api/blog/v1/article.proto")).unwrap(),
        "// mine\n"
    );
}

#[test]
fn proto_add_refuses_paths_that_name_no_package() {
    let dir = tempfile::tempdir().unwrap();
    for (path, says) in [
        ("article.proto", "needs a directory"),
        ("api/v1/article.txt", "not a .proto file"),
        ("api/v1.0/a.proto", "\"v1.0\" is not a proto identifier"),
        ("../x/a.proto", "give a relative path"),
    ] {
        let out = kratos_in(dir.path(), &["proto", "add", path]);
        assert_eq!(out.status.code(), Some(2), "{path}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{path}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn run_serves_the_project_with_its_configs_and_passes_signals_on() {
    let parent = tempfile::tempdir().unwrap();
    let dir = new_project(parent.path(), "run-demo", &[]);
    std::fs::copy(
        common::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let mut command = kratos();
    command
        .arg("run")
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", common::target_dir())
        // The shipped configs/ (which `kratos run` passes), on free loopback ports.
        .env("KRATOS_SERVER_HTTP_ADDR", "127.0.0.1:0")
        .env("KRATOS_SERVER_GRPC_ADDR", "127.0.0.1:0");
    // Its own process group, so a failure below cannot leave a program orphaned.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut app = common::spawn(command);
    let _group = KillGroup(app.child.id());
    assert_eq!(
        curl(&app.http, "/helloworld/kratos"),
        (r#"{"message":"Hello kratos"}"#.to_owned(), 200)
    );
    // SIGTERM to what we started reaches the program, which stops cleanly (exit 0).
    let pid = app.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let guard = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = app.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < guard,
            "still running after SIGTERM:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}:\n{}", app.log());
    let log = app.log();
    assert!(log.contains("app stopped name=run-demo"), "{log}");
}

#[test]
fn go_kratos_workflow_new_proto_add_import_server_builds_and_serves() {
    let parent = tempfile::tempdir().unwrap();
    let dir = new_project(parent.path(), "blog", &[]);
    let run = |args: &[&str]| {
        let out = kratos_in(&dir, args);
        assert!(
            out.status.success(),
            "kratos {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    run(&["proto", "add", "api/blog/v1/article.proto"]);
    // kratos new's own mod.rs files are hand-written: the commands name what to declare.
    let said = run(&[
        "proto",
        "import",
        "api/blog/v1/article.proto",
        "--out",
        "src/api",
    ]);
    let declare = said.rsplit("yourself: ").next().unwrap().trim().to_owned();
    assert!(declare.starts_with("pub mod "), "{said}");
    append(&dir.join("src/api/mod.rs"), &declare);
    let said = run(&[
        "proto",
        "server",
        "api/blog/v1/article.proto",
        "--out",
        "src/service",
    ]);
    let declare = said.rsplit("yourself: ").next().unwrap().trim().to_owned();
    assert!(declare.starts_with("pub mod "), "{said}");
    append(&dir.join("src/service/mod.rs"), &declare);

    let binary = common::build(&dir, "blog");
    let conf = common::config_dir("");
    let app = common::start(&binary, conf.path());
    assert_eq!(
        curl(&app.http, "/helloworld/kratos"),
        (r#"{"message":"Hello kratos"}"#.to_owned(), 200)
    );
    let protos = tempfile::tempdir().unwrap();
    let export = Command::new(&binary)
        .arg("-export-proto")
        .arg(protos.path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let answer = common::python(
        "grpc_call.py",
        &[
            protos.path().as_os_str(),
            std::ffi::OsStr::new(&app.grpc),
            std::ffi::OsStr::new("api/blog/v1/article.proto"),
            std::ffi::OsStr::new("Article"),
            std::ffi::OsStr::new("CreateArticle"),
        ],
    );
    assert!(answer.starts_with("error UNIMPLEMENTED "), "{answer}");
}

fn append(file: &std::path::Path, line: &str) {
    let mut text = std::fs::read_to_string(file).unwrap();
    text.push_str(line);
    text.push('\n');
    std::fs::write(file, text).unwrap();
}

/// Kills a process group when dropped (already gone after a clean stop).
struct KillGroup(u32);

impl Drop for KillGroup {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn run_outside_a_project_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = kratos_in(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Cargo.toml here"));
}
