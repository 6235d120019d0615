//! A panicking handler as an operator sees it: the caller gets 500 `UNKNOWN`, the
//! server keeps serving, and the log holds one event for the panic, with where it
//! was raised and the operation, and a backtrace only when RUST_BACKTRACE asks.
//! Checked on the helloworld example (a real process, whose stdout and stderr are
//! the log) and, for the `recovery` middleware, on an in-process server whose
//! `tracing` events are captured.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use kratos::middleware::recovery;
use kratos::prelude::*;
use tracing_subscriber::util::SubscriberInitExt;

use crate::common::grpc_url;
use crate::curl::get;
use crate::process;

/// The helloworld example with RUST_BACKTRACE as `backtrace` says (unset when `None`).
struct Example {
    child: std::process::Child,
    http: String,
    stdout: std::thread::JoinHandle<Vec<String>>,
    stderr: std::thread::JoinHandle<String>,
}

impl Example {
    fn start(conf: &std::path::Path, backtrace: Option<&str>) -> Self {
        let mut command = Command::new(process::example_binary("helloworld"));
        command
            .arg("-conf")
            .arg(conf)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(value) = backtrace {
            command.env("RUST_BACKTRACE", value);
        }
        let mut child = command.spawn().unwrap();
        let (started, lines) = process::read_until_started(&mut child);
        let http = process::endpoint(&started, "http");
        let stdout = std::thread::spawn(move || lines.map_while(Result::ok).collect());
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Self {
            child,
            http,
            stdout,
            stderr,
        }
    }

    /// Stops the example (SIGTERM) and returns everything it wrote: stdout lines, stderr.
    fn stop(mut self) -> (Vec<String>, String) {
        let killed = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        self.child.wait().unwrap();
        (self.stdout.join().unwrap(), self.stderr.join().unwrap())
    }
}

/// `examples/helloworld/main.rs:<line>`, the line of the example's `panic!`.
fn panic_site() -> String {
    let source = include_str!("../../examples/helloworld/main.rs");
    let line = source
        .lines()
        .position(|l| l.contains("panic!(\"the greeter was asked to panic\")"))
        .expect("the example panics for the name `panic`");
    format!("examples/helloworld/main.rs:{}:", line + 1)
}

const PANIC_TEXT: &str = "the greeter was asked to panic";

/// Calls /helloworld/panic, checks the answer and that the server still serves.
async fn panic_once(http: &str) {
    let res = get(&format!("http://{http}/helloworld/panic")).await;
    assert_eq!(res.status, 500, "{}", res.text());
    let body = res.json();
    assert_eq!(body["reason"], "UNKNOWN");
    assert_eq!(body["message"], "unknown request error");
    let res = get(&format!("http://{http}/helloworld/after")).await;
    assert_eq!(res.status, 200, "the server keeps serving after a panic");
}

#[tokio::test]
async fn a_panic_is_one_log_event_with_its_location_and_no_backtrace() {
    let conf = process::config_dir("");
    let example = Example::start(conf.path(), None);
    panic_once(&example.http).await;
    let (stdout, stderr) = example.stop();

    let about: Vec<&String> = stdout.iter().filter(|l| l.contains(PANIC_TEXT)).collect();
    assert_eq!(
        about.len(),
        1,
        "one event for the panic; the log:\n{}",
        stdout.join("\n")
    );
    let event = about[0];
    assert!(event.contains(&panic_site()), "{event}");
    assert!(event.contains("/helloworld.v1.Greeter/SayHello"), "{event}");
    assert!(event.contains("http"), "the kind: {event}");
    let all = format!("{}\n{stderr}", stdout.join("\n"));
    for backtrace_text in ["stack backtrace", "std::panicking", "rust_begin_unwind"] {
        assert!(!all.contains(backtrace_text), "{backtrace_text}: {all}");
    }
    // The default hook's own report ("thread '..' panicked at ...") would be a second one.
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[tokio::test]
async fn rust_backtrace_adds_the_backtrace_to_the_one_event() {
    let conf = process::config_dir("");
    let example = Example::start(conf.path(), Some("1"));
    panic_once(&example.http).await;
    let (stdout, stderr) = example.stop();

    let about: Vec<&String> = stdout.iter().filter(|l| l.contains(PANIC_TEXT)).collect();
    assert_eq!(about.len(), 1, "the log:\n{}", stdout.join("\n"));
    assert!(about[0].contains(&panic_site()), "{}", about[0]);
    assert!(about[0].contains("stack backtrace"), "{}", about[0]);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

/// Run as a child of [`a_panic_outside_any_call_is_reported_by_the_default_hook`]:
/// a server is built (which installs the hook), then a thread that serves no call panics.
#[test]
fn panic_outside_a_call_child() {
    if std::env::var_os("KRATOS_PANICS_CHILD").is_none() {
        return;
    }
    let _server = HttpServer::new();
    let _ = std::thread::spawn(|| panic!("raised outside any call")).join();
}

/// The child's name as the test harness knows it: its path below the test crate.
fn child_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, path)| path);
    format!("{module}::panic_outside_a_call_child")
}

#[test]
fn a_panic_outside_any_call_is_reported_by_the_default_hook() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &child_test_name(), "--nocapture"])
        .env("KRATOS_PANICS_CHILD", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("panicked at {}:", file!()))
            && stderr.contains("raised outside any call"),
        "stderr: {stderr}"
    );
}

// In-process: the `recovery` middleware, with its answer chosen by a handler.

#[kratos::message]
pub struct Ask {
    pub name: String,
}

#[kratos::service(package = "panics.v1")]
pub trait Fragile {
    async fn four_hundred(&self, req: Ask) -> kratos::Result<Ask>;
    async fn five_hundred(&self, req: Ask) -> kratos::Result<Ask>;
}

#[derive(Default)]
struct FragileImpl;

impl Fragile for FragileImpl {
    async fn four_hundred(&self, req: Ask) -> kratos::Result<Ask> {
        panic!("four hundred panic for {}", req.name)
    }

    async fn five_hundred(&self, req: Ask) -> kratos::Result<Ask> {
        panic!("five hundred panic for {}", req.name)
    }
}

/// A subscriber that keeps every `tracing` event in `log`, formatted, one string per
/// event. Set as the test thread's default, not the process's: the servers run on
/// the test's (current-thread) runtime, so their events come here and no other test's do.
fn capturing(log: &Arc<Mutex<Vec<String>>>) -> impl SubscriberInitExt {
    let sink = log.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || Event(sink.clone()))
}

/// A writer that keeps what one event wrote as one entry.
struct Event(Arc<Mutex<Vec<String>>>);

impl std::io::Write for Event {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_recovery_middleware_logs_each_panic_once_whatever_it_answers() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let _capture = capturing(&log).set_default();
    let chosen = recovery::recovery().handler(|ctx, message| {
        if ctx.operation().ends_with("FourHundred") {
            Error::bad_request("PANICKED", message)
        } else {
            Error::service_unavailable("PANICKED", message)
        }
    });
    let app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0").middleware(chosen))
        .service(FragileServer::new(FragileImpl))
        .build()
        .start()
        .await
        .expect("the app starts");
    let client = FragileClient::grpc(&grpc_url(&app)).unwrap();

    let err = client
        .four_hundred(Ask { name: "ann".into() })
        .await
        .unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (400, "PANICKED"));
    let err = client
        .five_hundred(Ask { name: "bob".into() })
        .await
        .unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (503, "PANICKED"));

    let log = log.lock().unwrap().clone();
    for (text, operation) in [
        (
            "four hundred panic for ann",
            "/panics.v1.Fragile/FourHundred",
        ),
        (
            "five hundred panic for bob",
            "/panics.v1.Fragile/FiveHundred",
        ),
    ] {
        let events: Vec<&String> = log.iter().filter(|e| e.contains(text)).collect();
        assert_eq!(events.len(), 1, "{text}: {log:#?}");
        assert!(events[0].contains(concat!(file!(), ":")), "{}", events[0]);
        assert!(events[0].contains(operation), "{}", events[0]);
    }
}
