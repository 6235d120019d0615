//! The examples' traces, read by peers this project did not write: helloworld and
//! relay run as real processes with a `tracing` section, a caller on the Python
//! `opentelemetry-sdk` (`otel_caller.py`) injects its `traceparent` over HTTP and
//! gRPC, and an OTLP/HTTP receiver built from the Python `opentelemetry-proto`
//! classes (`otlp_receiver.py`) collects what the processes export.
//!
//! The batch delay is set far beyond any test (`OTEL_BSP_SCHEDULE_DELAY`), so the
//! spans these tests see left on the graceful stop (SIGTERM): once the process has
//! exited, the receiver has printed them, and it is stopped and read to its end.
//! Only the export-failure test makes exports frequent instead. One test exports
//! over OTLP/gRPC (`protocol: grpc`) to the receiver's grpcio mode.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::curl;
use crate::process::{Running, config_dir, python, python_client, start_with_env};

const OPERATION: &str = "/helloworld.v1.Greeter/SayHello";

/// A batch delay no test waits out: spans leave only when the process stops.
const FLUSH_ON_STOP_ONLY: (&str, &str) = ("OTEL_BSP_SCHEDULE_DELAY", "3600000");

/// `otlp_receiver.py` running on a free loopback port; killed when dropped.
struct Receiver {
    child: Child,
    port: u16,
    /// Every JSON line it printed so far: spans, and refused exports with `--fail`.
    lines: Arc<Mutex<Vec<Value>>>,
    reader: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start(args: &[&str]) -> Receiver {
        let mut child = python("otlp_receiver.py")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = out
            .next()
            .and_then(Result::ok)
            .expect("otlp_receiver.py prints `listening PORT` (install opentelemetry-proto with `bash .ci/setup`)");
        let port = first
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not `listening PORT`: {first}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let keep = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in out.map_while(Result::ok) {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                keep.lock().unwrap().push(value);
            }
        });
        Receiver {
            child,
            port,
            lines,
            reader: Some(reader),
        }
    }

    /// The `tracing` config section exporting here, with `extra` keys under it.
    fn config(&self, extra: &str) -> String {
        format!(
            "tracing:\n{extra}  otlp:\n    endpoint: http://127.0.0.1:{}\n",
            self.port
        )
    }

    /// The spans received so far.
    fn spans(&self) -> Vec<Value> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.get("trace_id").is_some())
            .cloned()
            .collect()
    }

    /// How many distinct batches it answered 503 (`--fail`): a retried batch brings
    /// the same span ids again.
    fn refused_batches(&self) -> usize {
        let lines = self.lines.lock().unwrap();
        let batches: HashSet<String> = lines
            .iter()
            .filter(|l| l.get("refused").is_some())
            .map(|l| l["span_ids"].to_string())
            .collect();
        batches.len()
    }

    /// Has `--fail` end: later exports are received.
    fn recover(&self) {
        let kill = Command::new("kill")
            .args(["-USR1", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
    }

    /// Stops it and returns every span it received: call it once the processes that
    /// export here have stopped, so nothing is still on its way.
    fn finish(mut self) -> Vec<Value> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Its stdout is closed now: the reader has taken every line.
        self.reader.take().unwrap().join().unwrap();
        self.spans()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts example `name` with `config` appended to the loopback servers' config.
fn start(name: &str, config: &str, env: &[(&str, &str)]) -> (tempfile::TempDir, Running) {
    let conf = config_dir(config);
    let app = start_with_env(name, conf.path(), env);
    (conf, app)
}

/// SIGTERM, as an orchestrator stops a service; the stop flushes the spans.
fn stop(app: &mut Running) {
    let kill = Command::new("kill")
        .args(["-TERM", &app.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = app.child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM stops cleanly:\n{}",
        app.log()
    );
}

/// One traced call by `otel_caller.py`: its status, answer, and its span's ids.
fn traced_call(transport: &str, target: &str, name: &str) -> Value {
    python_client(
        "otel_caller.py",
        &[transport.as_ref(), target.as_ref(), name.as_ref()],
    )
}

/// The one span of `trace_id` with the resource `service`.
fn span_of<'a>(spans: &'a [Value], trace_id: &Value, service: &str, kind: &str) -> &'a Value {
    let found: Vec<&Value> = spans
        .iter()
        .filter(|s| {
            &s["trace_id"] == trace_id
                && s["resource"]["service.name"] == service
                && s["kind"] == kind
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {kind} span of {service} in trace {trace_id}; the spans:\n{}",
        lines(spans)
    );
    found[0]
}

fn lines(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `attributes` without `net.peer.port`, after checking it is a port number as
/// Go kratos writes it (a string).
fn without_peer_port(attributes: &Value) -> Value {
    let mut attributes = attributes.clone();
    let port = attributes
        .as_object_mut()
        .unwrap()
        .remove("net.peer.port")
        .unwrap_or_else(|| panic!("no net.peer.port in {attributes}"));
    assert!(
        port.as_str()
            .and_then(|p| p.parse::<u16>().ok())
            .is_some_and(|p| p != 0),
        "net.peer.port is a port as a string: {port}"
    );
    attributes
}

#[tokio::test]
async fn a_python_callers_trace_continues_in_the_server_span_and_the_log_line() {
    let receiver = Receiver::start(&[]);
    let config = format!(
        "log:\n  format: json\n  level: \"info,helloworld=debug\"\n{}",
        receiver.config("")
    );
    let (_conf, mut app) = start("helloworld", &config, &[FLUSH_ON_STOP_ONLY]);
    let started: Value = serde_json::from_str(&app.started).unwrap();

    let http = traced_call("http", &app.http, "kratos");
    assert_eq!(http["status"], 200, "{http}");
    assert_eq!(http["body"], r#"{"message":"Hello kratos"}"#, "{http}");
    let grpc = traced_call("grpc", &app.grpc, "kratos");
    assert_eq!(grpc["status"], "OK", "{grpc}");
    assert_eq!(grpc["message"], "Hello kratos", "{grpc}");
    stop(&mut app);
    let spans = receiver.finish();
    assert_eq!(spans.len(), 2, "{}", lines(&spans));

    let resource = json!({
        "service.name": "helloworld",
        "service.version": started["version"],
        "service.instance.id": started["id"],
    });
    let log = app.log();
    for (call, attributes) in [
        (
            &http,
            json!({
                "rpc.system": "http",
                "rpc.service": "helloworld.v1.Greeter",
                "rpc.method": "SayHello",
                "http.method": "GET",
                "http.route": "/helloworld/{name}",
                "http.target": "/helloworld/kratos",
                "net.peer.ip": "127.0.0.1",
                "recv_msg.size": 8,
                "send_msg.size": 14,
            }),
        ),
        (
            &grpc,
            json!({
                "rpc.system": "grpc",
                "rpc.service": "helloworld.v1.Greeter",
                "rpc.method": "SayHello",
                "net.peer.ip": "127.0.0.1",
                "recv_msg.size": 8,
                "send_msg.size": 14,
            }),
        ),
    ] {
        let span = span_of(&spans, &call["trace_id"], "helloworld", "SERVER");
        assert_eq!(span["parent_span_id"], call["span_id"], "{span}");
        assert_eq!(span["name"], OPERATION, "{span}");
        assert_eq!(without_peer_port(&span["attributes"]), attributes, "{span}");
        assert_eq!(span["status"]["code"], "OK", "{span}");
        assert_eq!(span["resource"], resource, "{span}");
        assert_eq!(span["scope"], "kratos", "{span}");

        // The handler's line of this call, as a log collector reads it.
        let greeting: Vec<Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["message"] == "greeting" && l["trace_id"] == call["trace_id"])
            .collect();
        assert_eq!(greeting.len(), 1, "{call}\nthe log:\n{log}");
        assert_eq!(greeting[0]["span_id"], span["span_id"], "{}", greeting[0]);
        assert_eq!(greeting[0]["name"], "kratos", "{}", greeting[0]);
        assert_eq!(greeting[0]["level"], "DEBUG", "{}", greeting[0]);
    }
}

#[tokio::test]
async fn a_404_is_an_error_span_with_its_code_on_both_transports() {
    let receiver = Receiver::start(&[]);
    let (_conf, mut app) = start("helloworld", &receiver.config(""), &[FLUSH_ON_STOP_ONLY]);
    let http = traced_call("http", &app.http, "unknown");
    assert_eq!(http["status"], 404, "{http}");
    let grpc = traced_call("grpc", &app.grpc, "unknown");
    assert_eq!(grpc["status"], "NOT_FOUND", "{grpc}");
    stop(&mut app);
    let spans = receiver.finish();

    for (call, system) in [(&http, "http"), (&grpc, "grpc")] {
        let span = span_of(&spans, &call["trace_id"], "helloworld", "SERVER");
        assert_eq!(span["parent_span_id"], call["span_id"], "{span}");
        assert_eq!(span["name"], OPERATION, "{span}");
        assert_eq!(span["attributes"]["rpc.system"], system, "{span}");
        assert_eq!(span["attributes"]["rpc.status_code"], 404, "{span}");
        assert_eq!(span["status"]["code"], "ERROR", "{span}");
        // Go kratos's error text, as its tracing middleware records it.
        let message = span["status"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "error: code = 404 reason = USER_NOT_FOUND message = user not found: unknown"
            ),
            "{span}"
        );
        assert_eq!(span["events"], json!(["exception"]), "{span}");
        // An error has no reply to measure.
        assert!(span["attributes"].get("send_msg.size").is_none(), "{span}");
    }
}

#[tokio::test]
async fn spans_are_exported_over_otlp_grpc_with_protocol_grpc() {
    let receiver = Receiver::start(&["--grpc"]);
    let config = format!(
        "tracing:\n  otlp:\n    endpoint: http://127.0.0.1:{}\n    protocol: grpc\n",
        receiver.port
    );
    let (_conf, mut app) = start("helloworld", &config, &[FLUSH_ON_STOP_ONLY]);
    let call = traced_call("http", &app.http, "kratos");
    assert_eq!(call["status"], 200, "{call}");
    stop(&mut app);
    let spans = receiver.finish();
    let span = span_of(&spans, &call["trace_id"], "helloworld", "SERVER");
    assert_eq!(span["parent_span_id"], call["span_id"], "{span}");
    assert_eq!(span["name"], OPERATION, "{span}");
}

#[tokio::test]
async fn http_into_relay_then_grpc_into_helloworld_is_one_trace() {
    let receiver = Receiver::start(&[]);
    let tracing = receiver.config("");
    let (_next_conf, mut next) = start("helloworld", &tracing, &[FLUSH_ON_STOP_ONLY]);
    let relay_config = format!("relay:\n  target: grpc://{}\n{tracing}", next.grpc);
    let (_relay_conf, mut relay) = start("relay", &relay_config, &[FLUSH_ON_STOP_ONLY]);

    let call = traced_call("http", &relay.http, "kratos");
    assert_eq!(call["status"], 200, "{call}");
    assert_eq!(call["body"], r#"{"message":"Hello kratos"}"#, "{call}");
    let failed = traced_call("http", &relay.http, "unknown");
    assert_eq!(failed["status"], 404, "{failed}");
    stop(&mut relay);
    stop(&mut next);
    let spans = receiver.finish();
    assert_eq!(spans.len(), 6, "{}", lines(&spans));

    let next_port = next.grpc.rsplit(':').next().unwrap();
    for (call, name, status, sizes) in [
        (&call, "kratos", "OK", Some((8, 14))),
        (&failed, "unknown", "ERROR", None),
    ] {
        let trace = &call["trace_id"];
        let relay_server = span_of(&spans, trace, "relay", "SERVER");
        let relay_client = span_of(&spans, trace, "relay", "CLIENT");
        let next_server = span_of(&spans, trace, "helloworld", "SERVER");
        for span in [relay_server, relay_client, next_server] {
            assert_eq!(span["name"], OPERATION, "{span}");
            assert_eq!(span["status"]["code"], status, "{span}");
            if status == "ERROR" {
                // The error came back unchanged over both hops.
                assert_eq!(span["attributes"]["rpc.status_code"], 404, "{span}");
            }
        }
        let parent = |span: &Value| span["parent_span_id"].clone();
        assert_eq!(parent(relay_server), call["span_id"], "{relay_server}");
        assert_eq!(
            parent(relay_client),
            relay_server["span_id"],
            "{relay_client}"
        );
        assert_eq!(
            parent(next_server),
            relay_client["span_id"],
            "{next_server}"
        );

        let relay_in = &relay_server["attributes"];
        assert_eq!(relay_in["rpc.system"], "http", "{relay_server}");
        assert_eq!(
            relay_in["http.target"],
            format!("/helloworld/{name}"),
            "{relay_server}"
        );
        // The client names the server it called.
        let out = &relay_client["attributes"];
        assert_eq!(out["rpc.system"], "grpc", "{relay_client}");
        assert_eq!(
            out["rpc.service"], "helloworld.v1.Greeter",
            "{relay_client}"
        );
        assert_eq!(out["rpc.method"], "SayHello", "{relay_client}");
        assert_eq!(out["net.peer.ip"], "127.0.0.1", "{relay_client}");
        assert_eq!(out["net.peer.port"], next_port, "{relay_client}");
        let next_in = &next_server["attributes"];
        assert_eq!(next_in["rpc.system"], "grpc", "{next_server}");
        assert_eq!(next_in["peer.service"], "relay", "{next_server}");
        if let Some((request, reply)) = sizes {
            // What the client sent is what the server received, and back.
            assert_eq!(out["send_msg.size"], request, "{relay_client}");
            assert_eq!(next_in["recv_msg.size"], request, "{next_server}");
            assert_eq!(next_in["send_msg.size"], reply, "{next_server}");
            assert_eq!(out["recv_msg.size"], reply, "{relay_client}");
        }
    }
}

#[tokio::test]
async fn with_sample_ratio_0_only_calls_of_a_sampled_trace_are_exported() {
    let receiver = Receiver::start(&[]);
    let (_conf, mut app) = start(
        "helloworld",
        &receiver.config("  sample_ratio: 0\n"),
        &[FLUSH_ON_STOP_ONLY],
    );
    // Calls that bring no trace: new traces, none recorded.
    let plain = curl::get(&format!("http://{}/helloworld/plain", app.http)).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    let plain_grpc = python_client(
        "metrics_check.py",
        &["greet".as_ref(), app.grpc.as_ref(), "plain".as_ref()],
    );
    assert_eq!(plain_grpc, json!(["OK"]));
    // Calls of a trace the caller sampled: the caller's decision is followed.
    let http = traced_call("http", &app.http, "traced");
    assert_eq!(http["status"], 200, "{http}");
    let grpc = traced_call("grpc", &app.grpc, "traced");
    assert_eq!(grpc["status"], "OK", "{grpc}");
    stop(&mut app);
    let spans = receiver.finish();

    assert_eq!(spans.len(), 2, "{}", lines(&spans));
    for (call, system) in [(&http, "http"), (&grpc, "grpc")] {
        let span = span_of(&spans, &call["trace_id"], "helloworld", "SERVER");
        assert_eq!(span["parent_span_id"], call["span_id"], "{span}");
        assert_eq!(span["attributes"]["rpc.system"], system, "{span}");
    }
}

#[tokio::test]
async fn with_sampling_off_a_call_keeps_its_trace_ids_across_hops_and_in_the_log() {
    let receiver = Receiver::start(&[]);
    let tracing = format!(
        "log:\n  format: json\n  level: \"info,helloworld=debug\"\n{}",
        receiver.config("  sample_ratio: 0\n")
    );
    let (_next_conf, mut next) = start("helloworld", &tracing, &[FLUSH_ON_STOP_ONLY]);
    let relay_config = format!("relay:\n  target: grpc://{}\n{tracing}", next.grpc);
    let (_relay_conf, mut relay) = start("relay", &relay_config, &[FLUSH_ON_STOP_ONLY]);

    // A caller that did not sample its trace: both hops follow it, unrecorded.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let unsampled = format!("00-{trace}-{caller_span}-00");
    let url = |name: &str| format!("http://{}/helloworld/{name}", relay.http);
    let answer = curl::send(
        "GET",
        &url("unsampled"),
        &[("traceparent", &unsampled), ("tracestate", "vendor=kept")],
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // A caller without a trace: a new one, unrecorded.
    let answer = curl::get(&url("fresh")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    stop(&mut relay);
    stop(&mut next);
    let spans = receiver.finish();
    assert!(spans.is_empty(), "nothing is recorded:\n{}", lines(&spans));

    let log = next.log();
    let greeting = |name: &str| -> Value {
        let found: Vec<Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["message"] == "greeting" && l["name"] == name)
            .collect();
        assert_eq!(found.len(), 1, "one greeting for {name}; the log:\n{log}");
        found.into_iter().next().unwrap()
    };
    let followed = greeting("unsampled");
    assert_eq!(followed["trace_id"], trace, "{followed}");
    let span_id = followed["span_id"].as_str().unwrap_or_default();
    assert!(
        span_id.len() == 16 && span_id != caller_span && span_id != "0000000000000000",
        "a span of its own in the caller's trace: {followed}"
    );
    let fresh = greeting("fresh");
    let fresh_trace = fresh["trace_id"].as_str().unwrap_or_default();
    assert!(
        fresh_trace.len() == 32 && fresh_trace != trace && fresh_trace.bytes().any(|b| b != b'0'),
        "a new trace: {fresh}"
    );
}

#[tokio::test]
async fn a_failing_collector_never_fails_a_call_and_is_logged_once() {
    // Every export is answered 503 until the receiver is told to recover.
    let receiver = Receiver::start(&["--fail"]);
    let (_conf, mut app) = start(
        "helloworld",
        &receiver.config(""),
        &[("OTEL_BSP_SCHEDULE_DELAY", "20")],
    );
    let url = format!("http://{}/helloworld/kratos", app.http);
    let mut calls = 0;
    // The exporter retries a refused batch before its export fails, and exports one
    // batch at a time: once a third batch is tried, two exports have failed.
    calls_until(&app, &url, &mut calls, || receiver.refused_batches() >= 3).await;
    receiver.recover();
    calls_until(&app, &url, &mut calls, || !receiver.spans().is_empty()).await;
    app.wait_for_log("traces are exported again");
    stop(&mut app);
    app.wait_for_log("app stopped");

    let log = app.log();
    let count = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count("cannot export traces"),
        1,
        "after {calls} calls and {} refused batches, the log:\n{log}",
        receiver.refused_batches()
    );
    assert_eq!(count("traces are exported again"), 1, "{log}");
}

/// GETs `url`, each answered 200, until `done`; a minute is a guard against
/// hanging, not a timing assertion.
async fn calls_until(app: &Running, url: &str, calls: &mut usize, done: impl Fn() -> bool) {
    let guard = Instant::now() + Duration::from_secs(60);
    while !done() {
        let answer = curl::get(url).await;
        assert_eq!(answer.status, 200, "call {calls}: {}", answer.text());
        *calls += 1;
        assert!(
            Instant::now() < guard,
            "still waiting after {calls} calls; the log:\n{}",
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
