//! What the CLI's process tests share: the built `kratos` binary, a project written by
//! `kratos new` and built against this checkout on the workspace's warm target
//! directory, and that project started as a process on free loopback ports.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `kratos` binary cargo built for these tests.
pub fn kratos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kratos"))
}

/// Runs `kratos args..` in `dir` and returns what it did.
pub fn kratos_in(dir: &Path, args: &[&str]) -> Output {
    kratos()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("kratos runs")
}

/// The root of this checkout (the `kratos` package), what `--path-dep` points at.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The target directory the tests were built in (`<target>/<profile>/kratos`), shared
/// with the generated projects so kratos and its dependencies are not built again.
pub fn target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_kratos"));
    exe.parent().and_then(Path::parent).unwrap().to_owned()
}

/// `kratos new name --path-dep <this checkout> extra..` in `parent`; the project's directory.
pub fn new_project(parent: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let root = workspace_root();
    let mut args = vec!["new", name, "--path-dep", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = kratos_in(parent, &args);
    assert!(
        out.status.success(),
        "kratos new failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parent.join(name)
}

/// `cargo build --offline` of the project in `dir` on the workspace's target directory,
/// with the workspace's Cargo.lock copied in so the same versions (already built) are
/// picked; returns the binary `name`. Panics with cargo's output if the build fails or
/// warns (a generated project must build clean).
pub fn build(dir: &Path, name: &str) -> PathBuf {
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["build", "--offline", "--message-format=short"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("cargo runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo build of {name} failed:\n{log}");
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("warning")).collect();
    assert!(warnings.is_empty(), "{name} builds with warnings:\n{log}");
    let binary = target_dir().join("debug").join(name);
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

/// A config directory whose servers bind free loopback ports; `extra` is appended
/// to its `config.yaml`.
pub fn config_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("server:\n  http:\n    addr: 127.0.0.1:0\n  grpc:\n    addr: 127.0.0.1:0\n{extra}");
    std::fs::write(dir.path().join("config.yaml"), text).unwrap();
    dir
}

/// A started project binary; killed when dropped.
pub struct Running {
    pub child: Child,
    /// `host:port` of the HTTP server.
    pub http: String,
    /// `host:port` of the gRPC server.
    pub grpc: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

/// Starts `binary -conf conf` and waits for its "app started" line.
pub fn start(binary: &Path, conf: &Path) -> Running {
    let mut command = Command::new(binary);
    command.arg("-conf").arg(conf);
    spawn(command)
}

/// Spawns `command` (a kratos app, or what runs one) and waits (ten minutes at most, a
/// guard against hanging that leaves room for a cold build) for its "app started"
/// line, which names the bound endpoints.
pub fn spawn(mut command: Command) -> Running {
    let what = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let keep = log.clone();
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    let guard = Instant::now() + Duration::from_secs(600);
    let started = loop {
        if let Some(line) = log
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains("app started"))
        {
            break line.clone();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited ({status}) before starting:\n{}",
                log.lock().unwrap().join("\n")
            );
        }
        assert!(
            Instant::now() < guard,
            "{what} did not start:\n{}",
            log.lock().unwrap().join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    Running {
        http: endpoint(&started, "http"),
        grpc: endpoint(&started, "grpc"),
        child,
        log,
    }
}

/// `host:port` of the `scheme` endpoint in an "app started" log line.
fn endpoint(started: &str, scheme: &str) -> String {
    let at = started
        .find(&format!("{scheme}://"))
        .unwrap_or_else(|| panic!("no {scheme} endpoint in {started:?}"));
    let rest = &started[at + scheme.len() + 3..];
    rest[..rest.find(['"', '\\']).unwrap()].to_owned()
}

/// `curl -s -w '\n%{http_code}' http://addr/path`: the body and the status code.
pub fn curl(addr: &str, path: &str) -> (String, u16) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "30", "-w", "\n%{http_code}"])
        .arg(format!("http://{addr}{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (body.to_owned(), code.parse().unwrap())
}

/// `python3 tests/python/<script> args..`; its stdout, or a panic with its stderr.
pub fn python(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("python3")
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/python")
                .join(script),
        )
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{script} failed (install grpcio-tools and grpcio-status with `bash .ci/setup`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
