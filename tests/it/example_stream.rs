//! The stream example as a user runs it, checked with peers this project did not
//! write: a real process (ticks 10ms apart), Python grpcio stubs compiled from the
//! `.proto` it exports (all three shapes, an error after two messages, a refusal
//! before the stream opens, a cancel mid-stream) and its gRPC reflection; httpx-sse
//! and httpx for the server stream as SSE and NDJSON; the `websockets` package for the
//! client stream and the bidi stream (half-close, the `\x1eerror:` frame and close 1011).

use serde_json::{Value, json};

use crate::curl;

use crate::process::{config_dir, python_client, start};

/// What the example's config gets: ticks fast enough for a test.
const FAST_TICKS: &str = "counter:\n  interval: 10ms\n";

/// Go kratos' `Error()` text of the example's errors, as the WebSocket error frame carries it.
fn go_error_text(reason: &str, message: &str) -> String {
    format!(
        "\x1eerror:error: code = 400 reason = {reason} message = {message} metadata = map[] cause = <nil>"
    )
}

/// A failed gRPC call as `stream_grpc_client.py` reports it.
#[cfg(all(feature = "proto-export", feature = "reflection"))]
fn grpc_failure(code: &str, message: &str, reason: &str) -> Value {
    json!({
        "code": code,
        "message": message,
        "error_info": [{"reason": reason, "domain": "", "metadata": {}}],
    })
}

#[test]
#[cfg(all(feature = "proto-export", feature = "reflection"))]
fn python_grpcio_stubs_from_the_exported_proto_call_every_stream_shape() {
    let out = tempfile::tempdir().unwrap();
    let export = std::process::Command::new(crate::process::example_binary("stream"))
        .arg("-export-proto")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let proto = std::fs::read_to_string(out.path().join("stream/v1/counter.proto")).unwrap();
    for rpc in [
        "rpc Countdown(CountdownRequest) returns (stream Tick)",
        "rpc Sum(stream Number) returns (Total)",
        "rpc Echo(stream Msg) returns (stream Msg)",
    ] {
        assert!(proto.contains(rpc), "no `{rpc}` in:\n{proto}");
    }

    let conf = config_dir(FAST_TICKS);
    let app = start("stream", conf.path());
    let seen = python_client(
        "stream_grpc_client.py",
        &[out.path().as_os_str(), app.grpc.as_ref()],
    );

    assert_eq!(
        seen["countdown_3"],
        json!({"values": [3, 2, 1], "error": null})
    );
    assert_eq!(
        seen["countdown_15"],
        json!({"values": [15, 14], "error": grpc_failure("ABORTED", "13 is unlucky", "UNLUCKY")})
    );
    assert_eq!(
        seen["countdown_200"],
        json!({"values": (14..=200).rev().collect::<Vec<i32>>(),
               "error": grpc_failure("ABORTED", "13 is unlucky", "UNLUCKY")}),
        "the 1s server timeout bounds the opening, not the stream"
    );
    assert_eq!(
        seen["countdown_2000"],
        json!({"values": [], "error": grpc_failure(
            "INVALID_ARGUMENT", "cannot count down from 2000: at most 1000", "TOO_HIGH")})
    );
    assert_eq!(
        seen["cancel"],
        json!({"read": [500, 499], "cancel_returned": true, "ended": {"code": "CANCELLED"}})
    );
    assert_eq!(
        seen["after_cancel"],
        json!({"values": [2, 1], "error": null}),
        "a call after a cancelled one is served"
    );
    assert_eq!(seen["sum"], json!({"sum": 6, "error": null}));
    assert_eq!(
        seen["sum_overflow"],
        json!({"sum": null, "error": grpc_failure("INVALID_ARGUMENT", "the sum overflows", "OVERFLOW")})
    );
    assert_eq!(seen["echo"], json!({"values": ["a", "b"], "error": null}));
    assert_eq!(
        seen["echo_boom"],
        json!({"values": ["a"], "error": grpc_failure("INVALID_ARGUMENT", "boom", "BOOM")})
    );

    let reflection = &seen["reflection"];
    let services = reflection["services"].as_array().unwrap();
    assert!(
        services.iter().any(|s| s == "stream.v1.Counter"),
        "{services:?}"
    );
    assert_eq!(
        reflection["counter_methods"],
        json!([
            ["Countdown", false, true],
            ["Sum", true, false],
            ["Echo", true, true]
        ]),
        "reflection describes each method's streams"
    );
}

#[test]
fn sse_ndjson_and_websocket_peers_read_every_stream_shape() {
    let conf = config_dir(FAST_TICKS);
    let app = start("stream", conf.path());
    let seen = python_client("stream_http_client.py", &[app.http.as_ref()]);

    let sse_headers = |answer: &Value| {
        assert_eq!(answer["status"], 200, "{answer}");
        assert_eq!(answer["content_type"], "text/event-stream", "{answer}");
        assert_eq!(answer["cache_control"], "no-cache", "{answer}");
        assert_eq!(answer["x_accel_buffering"], "no", "{answer}");
    };
    assert_eq!(seen["sse_left"], json!([500, 499]));
    // Served after a reader left mid-stream.
    sse_headers(&seen["sse_3"]);
    assert_eq!(
        seen["sse_3"]["events"],
        json!([["message", {"n": 3}], ["message", {"n": 2}], ["message", {"n": 1}]])
    );
    sse_headers(&seen["sse_15"]);
    assert_eq!(
        seen["sse_15"]["events"],
        json!([
            ["message", {"n": 15}],
            ["message", {"n": 14}],
            ["error", {"code": 409, "reason": "UNLUCKY", "message": "13 is unlucky", "metadata": {}}],
        ])
    );
    sse_headers(&seen["sse_200"]);
    let events = seen["sse_200"]["events"].as_array().unwrap();
    let ticks: Vec<_> = (14..=200)
        .rev()
        .map(|n| json!(["message", {"n": n}]))
        .collect();
    assert_eq!(
        events[..events.len() - 1],
        ticks[..],
        "the 1s server timeout bounds the opening, not the stream"
    );
    assert_eq!(events.last().unwrap()[0], "error");
    let too_high = json!({
        "status": 400,
        "content_type": "application/json",
        "body": {"code": 400, "reason": "TOO_HIGH",
                 "message": "cannot count down from 2000: at most 1000", "metadata": {}},
    });
    assert_eq!(
        seen["sse_2000"], too_high,
        "refused before the stream opens"
    );

    assert_eq!(
        seen["ndjson_3"],
        json!({
            "status": 200,
            "content_type": "application/x-ndjson",
            "lines": [{"result": {"n": 3}}, {"result": {"n": 2}}, {"result": {"n": 1}}],
        })
    );
    assert_eq!(
        seen["ndjson_15"]["lines"],
        json!([
            {"result": {"n": 15}},
            {"result": {"n": 14}},
            // As grpc-gateway writes it: the gRPC code (409 is ABORTED, 10) and the details.
            {"error": {"code": 10, "message": "13 is unlucky", "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "UNLUCKY", "domain": "", "metadata": {},
            }]}},
        ])
    );
    assert_eq!(seen["ndjson_2000"], too_high);

    // int64 is a JSON string in protojson.
    assert_eq!(
        seen["ws_sum"],
        json!({"frames": [r#"{"sum":"6"}"#], "close": [1000, ""]})
    );
    assert_eq!(
        seen["ws_sum_overflow"]["frames"],
        json!([go_error_text("OVERFLOW", "the sum overflows")])
    );
    assert_eq!(seen["ws_sum_overflow"]["close"][0], 1011);
    assert_eq!(
        seen["ws_echo"],
        json!({"replies": [r#"{"text":"a"}"#, r#"{"text":"b"}"#], "frames": [], "close": [1000, ""]})
    );
    assert_eq!(
        seen["ws_echo_boom"]["replies"],
        json!([r#"{"text":"a"}"#, go_error_text("BOOM", "boom")])
    );
    assert_eq!(seen["ws_echo_boom"]["frames"], json!([]));
    assert_eq!(seen["ws_echo_boom"]["close"][0], 1011);
}

#[tokio::test]
async fn the_stream_idle_timeout_is_read_from_the_config_file() {
    // Ticks 300ms apart, streams idle for at most 50ms: the first tick comes, the
    // second is too late.
    let conf = config_dir("counter:\n  interval: 300ms\n");
    let text = std::fs::read_to_string(conf.path().join("config.yaml")).unwrap();
    let text = text.replace(
        "    timeout: 1s\n",
        "    timeout: 1s\n    stream_idle_timeout: 50ms\n",
    );
    std::fs::write(conf.path().join("config.yaml"), text).unwrap();
    let app = start("stream", conf.path());
    let answer = curl::get(&format!("http://{}/v1/countdown/3", app.http)).await;
    let text = answer.text();
    let (first, rest) = text.split_once("\n\n").expect(text);
    assert_eq!(first, "event: message\ndata: {\"n\":3}");
    assert!(rest.starts_with("event: error\n"), "{text}");
    assert!(
        rest.contains("\"code\":504") && rest.contains("STREAM_IDLE"),
        "{text}"
    );
}
