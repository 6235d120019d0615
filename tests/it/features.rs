//! What the cargo features leave in a server, checked both ways: `cargo test` runs
//! this with the defaults, `.ci/run` again with `--no-default-features` (JSON and
//! protobuf only). Each check expects what the features of this build say.
//!
//! The helloworld example, as a real process, answers a GET in JSON either way; an
//! `Accept` naming a codec left out falls back to JSON, the OpenAPI route and gRPC
//! reflection are not served, and `-export-proto` exits 2 naming its feature; a
//! `server.http.metrics` route is served with the `metrics` feature, and without it
//! is a 404 that the start-up log warns about; a `tracing` section puts the call's
//! trace id on its log lines with the `opentelemetry` feature, and without it is
//! warned about.
//! helloworld has no route that reads a body, so the `Content-Type` check runs on an
//! in-process server with one: a body in a codec left out is the 415 `CODEC` of any
//! unknown media type.

use std::process::Command;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use crate::{common, curl, process};

/// What to say when the example binary and this test disagree about the features.
const STALE: &str = "is target/*/examples/helloworld built with this test's features? \
     `cargo test` builds it; with `--test features` alone, build it first with \
     `cargo build --example helloworld` and the same feature flags";

#[tokio::test]
async fn helloworld_answers_json_and_serves_only_what_its_features_bring() {
    let conf = process::config_dir("");
    let app = process::start("helloworld", conf.path());
    let url = format!("http://{}/helloworld/kratos", app.http);

    let res = curl::send("GET", &url, &[], "").await;
    assert_eq!(
        (res.status, res.text()),
        (200, r#"{"message":"Hello kratos"}"#)
    );
    assert_eq!(res.headers["content-type"], "application/json");

    // Accept is negotiated over the registered codecs only: xml left out is skipped.
    let res = curl::send("GET", &url, &[("accept", "application/xml")], "").await;
    assert_eq!(res.status, 200);
    if cfg!(feature = "xml") {
        assert_eq!(res.headers["content-type"], "application/xml", "{STALE}");
        assert!(res.text().contains("Hello kratos"), "{}", res.text());
    } else {
        assert_eq!(res.headers["content-type"], "application/json", "{STALE}");
        assert_eq!(res.text(), r#"{"message":"Hello kratos"}"#);
    }

    // The test config sets server.http.openapi; without the feature it is not served.
    let res = curl::send(
        "GET",
        &format!("http://{}/q/openapi.json", app.http),
        &[],
        "",
    )
    .await;
    if cfg!(feature = "openapi") {
        assert_eq!(res.status, 200, "{STALE}");
        assert_eq!(res.json()["info"]["title"], "helloworld");
    } else {
        assert_eq!(res.status, 404, "{STALE}");
        assert_eq!(res.json()["reason"], "NOT_FOUND");
    }

    let (status, body) = list_services(&app.grpc).await;
    if cfg!(feature = "reflection") {
        assert_eq!(status, "0", "{STALE}");
        let listed = String::from_utf8_lossy(&body);
        assert!(listed.contains("helloworld.v1.Greeter"), "{listed}");
    } else {
        assert_eq!(status, "12", "UNIMPLEMENTED; {STALE}");
    }
}

#[test]
fn export_proto_is_there_with_its_feature_and_refused_by_name_without() {
    let out = tempfile::tempdir().unwrap();
    let export = Command::new(process::example_binary("helloworld"))
        .arg("-export-proto")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&export.stderr);
    if cfg!(feature = "proto-export") {
        assert!(export.status.success(), "{stderr}; {STALE}");
        assert!(out.path().join("helloworld/v1/greeter.proto").exists());
    } else {
        assert_eq!(export.status.code(), Some(2), "{stderr}; {STALE}");
        assert!(stderr.contains("`proto-export` feature"), "{stderr}");
        assert!(export.stdout.is_empty());
    }
}

#[tokio::test]
async fn a_body_in_a_codec_left_out_is_the_415_of_any_unknown_media_type() {
    let app = common::start().await;
    let url = format!("{}/v1/users/7", common::http_url(&app));
    let unknown = curl::send("POST", &url, &[("content-type", "text/csv")], "name\na\n").await;
    assert_eq!(unknown.status, 415);
    assert_eq!(unknown.json()["reason"], "CODEC");

    for (media, body, built_in) in [
        (
            "application/xml",
            "<EchoRequest><name>a</name></EchoRequest>",
            cfg!(feature = "xml"),
        ),
        ("application/yaml", "name: a\n", cfg!(feature = "yaml")),
        (
            "application/x-www-form-urlencoded",
            "name=a",
            cfg!(feature = "form"),
        ),
    ] {
        let res = curl::send("POST", &url, &[("content-type", media)], body).await;
        if built_in {
            assert_eq!(res.status, 201, "{media}: {}", res.text());
            assert_eq!(res.json()["name"], "a", "{media}");
            continue;
        }
        assert_eq!(res.status, 415, "{media}: {}", res.text());
        assert_eq!(res.headers["content-type"], "application/json");
        let (got, csv) = (res.json(), unknown.json());
        assert_eq!(
            (&got["code"], &got["reason"]),
            (&csv["code"], &csv["reason"])
        );
        // The choices it lists are the codecs this build has.
        let message = got["message"].as_str().unwrap();
        let (_, choices) = message.split_once("send one of ").expect(message);
        assert!(!choices.contains(media), "{message}");
        assert!(choices.contains("application/json"), "{message}");
    }

    // Query strings are read without the form codec.
    let res = curl::send("POST", &format!("{url}?name=q"), &[], "{}").await;
    assert_eq!((res.status, res.json()["name"].as_str()), (201, Some("q")));
}

#[tokio::test]
async fn the_metrics_route_is_served_with_its_feature_and_warned_about_without() {
    let conf = process::config_dir("");
    let path = conf.path().join("config.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "    openapi: /q/openapi.json\n",
        "    openapi: /q/openapi.json\n    metrics: /metrics\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (_kill, log_path, http) = start_logged(conf.path()).await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    // A call first, so a built-in page has a series to show.
    let url = format!("http://{http}/helloworld/kratos");
    assert_eq!(curl::get(&url).await.status, 200);
    let res = curl::get(&format!("http://{http}/metrics")).await;
    let warning = "server.http.metrics is set, but kratos was built without its `metrics` feature";
    if cfg!(feature = "metrics") {
        assert_eq!(res.status, 200, "{STALE}");
        assert_eq!(
            res.content_type(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert!(
            res.text().contains("server_requests_code_total{"),
            "{}",
            res.text()
        );
        assert!(!log.contains(warning), "{log}");
    } else {
        assert_eq!(res.status, 404, "{STALE}");
        assert_eq!(res.json()["reason"], "NOT_FOUND");
        assert!(log.contains(warning), "{STALE}; the log:\n{log}");
    }
}

#[tokio::test]
async fn log_lines_of_a_call_carry_its_trace_with_the_opentelemetry_feature() {
    let conf =
        process::config_dir("log:\n  level: info,helloworld=debug\ntracing:\n  sample_ratio: 1\n");
    let (_kill, log_path, http) = start_logged(conf.path()).await;
    let url = format!("http://{http}/helloworld/kratos");
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let res = curl::send("GET", &url, &[("traceparent", traceparent)], "").await;
    assert_eq!(res.status, 200);
    let guard = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let log = loop {
        let log = std::fs::read_to_string(&log_path).unwrap();
        if log.contains("greeting") {
            break log;
        }
        assert!(
            std::time::Instant::now() < guard,
            "no greeting line:\n{log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let line = log.lines().find(|l| l.contains("greeting")).unwrap();
    let warning = "config section \"tracing\" is set, but this binary was built without kratos's `opentelemetry` feature";
    if cfg!(feature = "opentelemetry") {
        assert!(
            line.contains("trace_id=0af7651916cd43dd8448eb211c80319c span_id="),
            "{STALE}: {line}"
        );
        assert!(!log.contains(warning), "{log}");
    } else {
        assert!(!line.contains("trace_id="), "{STALE}: {line}");
        assert!(log.contains(warning), "{STALE}; the log:\n{log}");
    }
}

/// Starts helloworld with `-conf conf`, its stdout in a file read whole (start-up
/// warnings come before "app started", which `process::start` skips), once it
/// started: the process, the log file and the HTTP server's address.
async fn start_logged(conf: &std::path::Path) -> (KillOnDrop, std::path::PathBuf, String) {
    let log_path = conf.join("stdout.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(process::example_binary("helloworld"))
        .arg("-conf")
        .arg(conf)
        .stdout(log)
        .spawn()
        .unwrap();
    let kill = KillOnDrop(child);
    let guard = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let log = loop {
        let log = std::fs::read_to_string(&log_path).unwrap();
        if log.lines().any(|l| l.contains("app started")) {
            break log;
        }
        assert!(std::time::Instant::now() < guard, "never started:\n{log}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let started = log.lines().find(|l| l.contains("app started")).unwrap();
    let http = process::endpoint(started, "http");
    (kill, log_path, http)
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Asks the gRPC server at `addr` to list its services by reflection (v1), over a
/// hand-framed HTTP/2 call: the `grpc-status` and the answer's bytes.
async fn list_services(addr: &str) -> (String, Bytes) {
    // ServerReflectionRequest { list_services: "*" }: field 7, length 1, `*`.
    let message = [0x3a, 0x01, b'*'];
    let mut frame = vec![0];
    frame.extend((message.len() as u32).to_be_bytes());
    frame.extend(message);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let request = http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://{addr}/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(Bytes::from(frame)))
        .unwrap();
    let response = client.request(request).await.expect("an HTTP/2 answer");
    let headers = response.headers().clone();
    let collected = response.into_body().collect().await.expect("the body");
    let status = collected
        .trailers()
        .and_then(|t| t.get("grpc-status"))
        .or_else(|| headers.get("grpc-status"))
        .expect("a grpc-status in the headers or the trailers")
        .to_str()
        .unwrap()
        .to_owned();
    (status, collected.to_bytes())
}
