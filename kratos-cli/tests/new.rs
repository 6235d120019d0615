//! `kratos new` as a user runs it: the project it writes builds offline against this
//! checkout without warnings, serves `curl /helloworld/kratos` and a Python grpcio call,
//! and what it refuses leaves the disk as it was.

mod common;

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    // And formatted as rustfmt would, so a user's first `cargo fmt` changes nothing.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let fmt = Command::new(&cargo)
        .args(["fmt", "--check"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        fmt.status.success(),
        "{}",
        String::from_utf8_lossy(&fmt.stdout)
    );

    let conf = config_dir("");
    let app = start(&binary, conf.path());
    assert_eq!(
        curl(&app.http, "/helloworld/kratos"),
        (r#"{"message":"Hello kratos"}"#.to_owned(), 200)
    );
    let (body, status) = curl(&app.http, "/helloworld/unknown");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains(r#""reason":"USER_NOT_FOUND""#), "{body}");
    // The template's #[rule(len(1..=64))] on HelloRequest.name.
    let (body, status) = curl(&app.http, &format!("/helloworld/{}", "x".repeat(65)));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#""reason":"VALIDATOR""#), "{body}");

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
fn registry_etcd_project_registers_in_a_real_etcd() {
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
    let config = std::fs::read_to_string(dir.join("configs/config.yaml")).unwrap();
    assert!(
        config.contains("registry:\n  kind: etcd\n  endpoints: [127.0.0.1:2379]"),
        "{config}"
    );
    let docker = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(docker.contains("protobuf-compiler"), "{docker}");
    let binary = build(&dir, "fleet");

    let etcd = Etcd::start();
    let conf = config_dir(&format!(
        "registry:\n  kind: etcd\n  endpoints: [{}]\n",
        etcd.client
    ));
    let mut app = start(&binary, conf.path());
    assert_eq!(
        curl(&app.http, "/helloworld/kratos"),
        (r#"{"message":"Hello kratos"}"#.to_owned(), 200)
    );
    let registered = etcd.instances("fleet");
    assert!(
        registered.contains(&format!("http://{}", app.http)),
        "{registered}"
    );
    assert!(
        registered.contains(&format!("grpc://{}", app.grpc)),
        "{registered}"
    );
    // Deregistered on SIGTERM.
    let pid = app.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(app.child.wait().unwrap().success(), "{}", app.log());
    assert_eq!(etcd.instances("fleet"), "");
}

/// A real etcd (Debian's etcd-server, installed by `.ci/setup`) on free loopback
/// ports, in a temporary data directory; killed when dropped.
struct Etcd {
    child: std::process::Child,
    client: String,
    _data: tempfile::TempDir,
}

impl Etcd {
    fn start() -> Etcd {
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
        };
        let (client, peer) = (port(), port());
        let data = tempfile::tempdir().unwrap();
        let child = Command::new("etcd")
            .arg("--name=kratos-cli-test")
            .arg(format!("--data-dir={}", data.path().display()))
            .arg(format!("--listen-client-urls=http://{client}"))
            .arg(format!("--advertise-client-urls=http://{client}"))
            .arg(format!("--listen-peer-urls=http://{peer}"))
            .arg(format!("--initial-advertise-peer-urls=http://{peer}"))
            .arg(format!("--initial-cluster=kratos-cli-test=http://{peer}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd runs (Debian's etcd-server, installed by `bash .ci/setup`)");
        let etcd = Etcd {
            child,
            client: client.to_string(),
            _data: data,
        };
        let guard = Instant::now() + Duration::from_secs(60);
        while !curl(&etcd.client, "/health")
            .0
            .contains(r#""health":"true""#)
        {
            assert!(Instant::now() < guard, "etcd did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
        etcd
    }

    /// The values under `/microservices/{name}/` (Go kratos's keys), one a line,
    /// read through etcd's JSON gateway with curl and decoded with Python's base64.
    fn instances(&self, name: &str) -> String {
        let script = format!(
            r#"import base64, json, sys, urllib.request
b = lambda s: base64.b64encode(s.encode()).decode()
req = {{"key": b("/microservices/{name}/"), "range_end": b("/microservices/{name}0")}}
got = json.load(urllib.request.urlopen("http://{client}/v3/kv/range", json.dumps(req).encode(), timeout=10))
for kv in got.get("kvs", []):
    print(base64.b64decode(kv["value"]).decode())"#,
            client = self.client
        );
        let out = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
fn inside_a_workspace_it_says_how_to_build() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(
        parent.path().join("Cargo.toml"),
        "[workspace]\nmembers = []\n",
    )
    .unwrap();
    let out = kratos_in(parent.path(), &["new", "inner"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("inside the cargo workspace"), "{stderr}");
    assert!(
        stderr.contains("add \"inner\" to its `members`"),
        "{stderr}"
    );
    let alone = tempfile::tempdir().unwrap();
    let out = kratos_in(alone.path(), &["new", "outer"]);
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
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
