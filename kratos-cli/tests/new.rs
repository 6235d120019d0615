//! `kratos new` as a user runs it: the project it writes builds offline against this
//! checkout without warnings, serves `curl /helloworld/kratos` and a Python grpcio call,
//! and what it refuses leaves the disk as it was.

mod common;

use std::ffi::OsStr;

use common::{build, config_dir, curl, kratos_in, new_project, python, start};

#[test]
fn new_project_builds_and_serves_http_and_grpc() {
    let parent = tempfile::tempdir().unwrap();
    let dir = new_project(parent.path(), "demo", &[]);
    for file in [
        "Cargo.toml",
        "README.md",
        "Dockerfile",
        ".gitignore",
        "configs/config.yaml",
        "src/main.rs",
        "src/api/mod.rs",
        "src/service/mod.rs",
        "src/biz/mod.rs",
        "src/data/mod.rs",
    ] {
        assert!(dir.join(file).is_file(), "kratos new wrote no {file}");
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"demo\""), "{manifest}");
    let binary = build(&dir, "demo");

    let conf = config_dir("");
    let app = start(&binary, conf.path());
    assert_eq!(
        curl(&app.http, "/helloworld/kratos"),
        (r#"{"message":"Hello kratos"}"#.to_owned(), 200)
    );
    let (body, status) = curl(&app.http, "/helloworld/unknown");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains(r#""reason":"USER_NOT_FOUND""#), "{body}");

    // The gRPC side through stubs compiled from what the project exports.
    let protos = tempfile::tempdir().unwrap();
    let export = std::process::Command::new(&binary)
        .arg("-export-proto")
        .arg(protos.path())
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let seen = python(
        "greeter_call.py",
        &[protos.path().as_os_str(), OsStr::new(&app.grpc)],
    );
    assert_eq!(seen, "ok Hello kratos\nerror NOT_FOUND USER_NOT_FOUND\n");
}

#[test]
fn the_shipped_config_is_what_kratos_run_passes() {
    let parent = tempfile::tempdir().unwrap();
    let dir = new_project(parent.path(), "shipped", &[]);
    let config = std::fs::read_to_string(dir.join("configs/config.yaml")).unwrap();
    assert!(config.contains("addr: 0.0.0.0:8000"), "{config}");
    assert!(config.contains("addr: 0.0.0.0:9000"), "{config}");
    assert!(!config.contains("registry"), "{config}");
    let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
    assert!(main.contains("#[kratos::main]"), "{main}");
    assert!(!main.contains("{{"), "a placeholder was left: {main}");
}

#[test]
fn registry_etcd_wires_the_backend() {
    let parent = tempfile::tempdir().unwrap();
    let dir = new_project(parent.path(), "fleet", &["--registry", "etcd"]);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let etcd_crate = common::workspace_root().join("contrib/registry-etcd");
    assert!(
        manifest.contains(&format!(
            "kratos-registry-etcd = {{ path = \"{}\" }}",
            etcd_crate.display()
        )),
        "{manifest}"
    );
    let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
    assert!(main.contains("use kratos_registry_etcd as _;"), "{main}");
    let config = std::fs::read_to_string(dir.join("configs/config.yaml")).unwrap();
    assert!(
        config.contains("registry:\n  kind: etcd\n  endpoints: [127.0.0.1:2379]"),
        "{config}"
    );
    let docker = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(docker.contains("protobuf-compiler"), "{docker}");
}

#[test]
fn existing_directory_is_refused_and_left_alone() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("taken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    let out = kratos_in(parent.path(), &["new", "taken"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("taken already exists"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["keep.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "mine"
    );

    // A file of that name too.
    std::fs::write(parent.path().join("file"), "x").unwrap();
    let out = kratos_in(parent.path(), &["new", "file"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn invalid_names_are_refused_with_nothing_written() {
    let parent = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("1demo", "must start with a letter"),
        ("my.app", "'.' is not allowed"),
        ("fn", "Rust keyword"),
        ("kratos", "crate the project uses"),
    ] {
        let out = kratos_in(parent.path(), &["new", name]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("invalid project name {name:?}")),
            "{stderr}"
        );
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
    let out = kratos_in(parent.path(), &["new", "a/b"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_dir(parent.path()).unwrap().count(),
        0,
        "something was written"
    );
}

#[test]
fn path_dep_must_be_a_kratos_checkout() {
    let parent = tempfile::tempdir().unwrap();
    let out = kratos_in(parent.path(), &["new", "demo", "--path-dep", "/"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a kratos-rs checkout"), "{stderr}");
    assert!(!parent.path().join("demo").exists());
}
