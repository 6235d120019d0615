//! Running an example binary as a user does: a real process with a `-conf` directory,
//! its endpoints read from the "app started" log line, its log kept for the test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
    let mut child = Command::new(example_binary(name))
        .arg("-conf")
        .arg(conf)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains("app started"))
        .expect("the example logs `app started`");
    let log = Arc::new(Mutex::new(vec![started.clone()]));
    let keep = log.clone();
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    let endpoint = |scheme: &str| {
        let start = started
            .find(&format!("{scheme}://"))
            .expect("endpoint in log")
            + scheme.len()
            + 3;
        let rest = &started[start..];
        rest[..rest.find('"').unwrap()].to_owned()
    };
    Running {
        http: endpoint("http"),
        grpc: endpoint("grpc"),
        started,
        child,
        log,
    }
}

/// GET `url` with a real HTTP client: the status and the body.
pub async fn get(url: &str) -> (u16, String) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Runs a Python client of `tests/python/` with `args` and reads the JSON it prints.
pub fn python_client(script: &str, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let output = Command::new("python3")
        .arg(path)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{script} failed (install grpcio-tools and grpcio-reflection with `bash .ci/setup`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
