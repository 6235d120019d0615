//! Running an example binary as a user does: a real process with a `-conf` directory,
//! its endpoints read from the "app started" log line, its log kept for the test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `target/<profile>/examples/<name>`, which `cargo test` builds with the tests.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} is missing: run the whole suite (`cargo test --workspace`), which builds the examples",
        binary.display()
    );
    binary
}

/// A config directory whose servers bind free loopback ports and serve the OpenAPI
/// document at `/q/openapi.json`; `extra` is appended to its `config.yaml`.
pub fn config_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), config_text(extra)).unwrap();
    dir
}

/// The text of [`config_dir`]'s `config.yaml`.
pub fn config_text(extra: &str) -> String {
    format!(
        "server:\n  http:\n    addr: 127.0.0.1:0\n    timeout: 1s\n    openapi: /q/openapi.json\n  grpc:\n    addr: 127.0.0.1:0\n    timeout: 1s\n{extra}"
    )
}

/// A started example; killed when dropped.
pub struct Running {
    pub child: Child,
    /// `host:port` of the HTTP server.
    pub http: String,
    /// `host:port` of the gRPC server.
    pub grpc: String,
    /// The "app started" log line.
    pub started: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Waits (at most a minute, a guard against hanging) for a log line containing
    /// `needle`, and returns it.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let guard = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(line) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            assert!(
                Instant::now() < guard,
                "no log line with {needle:?}; the log:\n{}",
                self.log.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

/// Starts the example `name` with `-conf conf` and waits for its "app started" line.
pub fn start(name: &str, conf: &Path) -> Running {
    start_with_env(name, conf, &[])
}

/// [`start`] with environment variables `env` set for the example.
pub fn start_with_env(name: &str, conf: &Path, env: &[(&str, &str)]) -> Running {
    let mut child = Command::new(example_binary(name))
        .arg("-conf")
        .arg(conf)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (started, lines) = read_until_started(&mut child);
    let log = Arc::new(Mutex::new(vec![started.clone()]));
    let keep = log.clone();
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    Running {
        http: endpoint(&started, "http"),
        grpc: endpoint(&started, "grpc"),
        started,
        child,
        log,
    }
}

/// Reads the child's stdout up to its "app started" line: that line, and the lines
/// after it, which the caller must keep reading so the child never blocks on a full pipe.
pub fn read_until_started(child: &mut Child) -> (String, Lines<BufReader<ChildStdout>>) {
    let mut lines = BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
    let started = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains("app started"))
        .expect("the example logs `app started`");
    (started, lines)
}

/// `host:port` of the `scheme` endpoint in an "app started" log line.
pub fn endpoint(started: &str, scheme: &str) -> String {
    let start = started
        .find(&format!("{scheme}://"))
        .expect("endpoint in log")
        + scheme.len()
        + 3;
    let rest = &started[start..];
    // A text line quotes the endpoint, a JSON line escapes the quote.
    rest[..rest.find(['"', '\\']).unwrap()].to_owned()
}

/// `python3` with the script `tests/python/<script>` as its first argument.
pub fn python(script: &str) -> Command {
    let mut command = Command::new("python3");
    command.arg(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/python")
            .join(script),
    );
    command
}

/// Runs a Python client of `tests/python/` with `args` and reads the JSON it prints.
pub fn python_client(script: &str, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let output = python(script).args(args).output().expect("python3 runs");
    assert!(
        output.status.success(),
        "{script} failed (install grpcio-tools and grpcio-reflection with `bash .ci/setup`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
