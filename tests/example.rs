//! The helloworld example as a user runs it: a real process, a real config file,
//! curl-style HTTP, a Python grpcio client with protoc-generated stubs, and SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// `target/<profile>/examples/helloworld`, which `cargo test` builds with the tests.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join("helloworld");
    assert!(
        binary.exists(),
        "{} is missing: run the whole suite (`cargo test --workspace`), which builds the examples",
        binary.display()
    );
    binary
}

struct Running {
    child: Child,
    http: String,
    grpc: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "server:\n  http:\n    addr: 127.0.0.1:0\n    timeout: 1s\n    openapi: /q/openapi.json\n  grpc:\n    addr: 127.0.0.1:0\n    timeout: 1s\n",
    )
    .unwrap();
    dir
}

/// Starts the example and reads the endpoints from its "app started" log line.
fn start(conf: &std::path::Path) -> Running {
    let mut child = Command::new(example_binary())
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
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
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
        child,
    }
}

async fn get(url: &str) -> (u16, String) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn helloworld_serves_http_and_a_python_grpc_client_then_stops_on_sigterm() {
    let conf = config_dir();
    let mut app = start(conf.path());

    let (status, body) = get(&format!("http://{}/helloworld/kratos", app.http)).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Hello kratos"}"#)
    );
    let (status, body) = get(&format!("http://{}/helloworld/unknown", app.http)).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user not found: unknown","metadata":{}}"#
    );
    let (status, body) = get(&format!("http://{}/helloworld/panic", app.http)).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        r#"{"code":500,"reason":"UNKNOWN","message":"unknown request error","metadata":{}}"#
    );
    let (status, _) = get(&format!("http://{}/helloworld/again", app.http)).await;
    assert_eq!(status, 200, "the server keeps serving after a panic");

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/greeter_client.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .arg(&app.grpc)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the Python grpcio client failed (install it with `bash .ci/setup`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["reply"], "Hello kratos");
    assert_eq!(seen["error"]["code"], "NOT_FOUND");
    assert_eq!(seen["error"]["message"], "user not found: unknown");
    assert_eq!(
        seen["error"]["error_info"],
        serde_json::json!([{"reason": "USER_NOT_FOUND", "domain": "", "metadata": {}}])
    );
    assert_eq!(seen["panic"]["code"], "INTERNAL");
    assert_eq!(seen["panic"]["message"], "unknown request error");
    assert_eq!(seen["panic"]["error_info"][0]["reason"], "UNKNOWN");
    assert_eq!(seen["after_panic"], "Hello again");
    assert_eq!(seen["unknown_method"], "UNIMPLEMENTED");
    assert_eq!(seen["unknown_service"], "UNIMPLEMENTED");
    assert_eq!(seen["health"], "SERVING");
    assert_eq!(seen["health_greeter"], "SERVING");

    let kill = Command::new("kill")
        .args(["-TERM", &app.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = app.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM stops the example cleanly");
}

/// The issue's round trip: the `.proto` files the binary exports compile for Python
/// with grpcio-tools, and the client they give calls the running server; reflection
/// lists and describes the same service; the OpenAPI document names its route.
#[tokio::test]
async fn exported_proto_and_reflection_give_a_working_python_client() {
    let out = tempfile::tempdir().unwrap();
    let export = Command::new(example_binary())
        .arg("-export-proto")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let listed = String::from_utf8_lossy(&export.stdout);
    assert!(listed.contains("helloworld/v1/greeter.proto"), "{listed}");

    let conf = config_dir();
    let app = start(conf.path());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/exported_client.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .arg(out.path())
        .arg(&app.grpc)
        .arg(&app.http)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the client from the exported .proto failed (install grpcio-tools and grpcio-reflection with `bash .ci/setup`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["reply"], "Hello exported");
    assert_eq!(seen["http_proto_content_type"], "application/proto");
    assert_eq!(seen["http_proto_reply"], "Hello protobuf");
    assert_eq!(
        seen["files"],
        serde_json::json!([
            "google/api/annotations.proto",
            "google/api/http.proto",
            "helloworld/v1/greeter.proto"
        ])
    );
    for (version, itself) in [
        ("reflection_v1", "grpc.reflection.v1.ServerReflection"),
        (
            "reflection_v1alpha",
            "grpc.reflection.v1alpha.ServerReflection",
        ),
    ] {
        let reflected = &seen[version];
        let services = reflected["services"].as_array().unwrap();
        for name in ["helloworld.v1.Greeter", "grpc.health.v1.Health", itself] {
            assert!(
                services.iter().any(|s| s == name),
                "{version}: {services:?}"
            );
        }
        let file = &reflected["files"][0];
        assert_eq!(file["package"], "helloworld.v1", "{version}");
        assert_eq!(
            file["services"][0]["methods"][0],
            serde_json::json!([
                "SayHello",
                ".helloworld.v1.HelloRequest",
                ".helloworld.v1.HelloReply"
            ])
        );
        assert_eq!(
            file["messages"]["HelloRequest"],
            serde_json::json!([["name", 1, "name"]])
        );
    }

    let (status, body) = get(&format!("http://{}/q/openapi.json", app.http)).await;
    assert_eq!(status, 200);
    let document: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["info"]["title"], "helloworld");
    assert!(
        document["paths"]["/helloworld/{name}"]["get"].is_object(),
        "{document}"
    );
}

#[test]
fn missing_config_file_exits_1_with_the_path() {
    let output = Command::new(example_binary())
        .args(["-conf", "/nonexistent/kratos.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/kratos.yaml"), "{stderr}");
}

#[test]
fn a_bad_value_at_start_exits_1_naming_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "server:\n  http:\n    addr: 127.0.0.1:0\n    timeout: soon\n",
    )
    .unwrap();
    let output = Command::new(example_binary())
        .arg("-conf")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"server.http.timeout\""), "{stderr}");
    assert!(stderr.contains("config.yaml"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_environment_overrides_the_config_file() {
    let conf = config_dir();
    let output = Command::new(example_binary())
        .arg("-conf")
        .arg(conf.path())
        .env("KRATOS_SERVER_HTTP_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the override reached the server section"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"server.http.timeout\" (from env KRATOS_*)"),
        "{stderr}"
    );
}

#[test]
fn unknown_argument_exits_2_with_usage() {
    let output = Command::new(example_binary())
        .arg("--port=1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown argument") && stderr.contains("-conf"),
        "{stderr}"
    );
}

#[test]
fn sigint_stops_the_example_with_exit_0() {
    let conf = config_dir();
    let mut app = start(conf.path());
    let kill = Command::new("kill")
        .args(["-INT", &app.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(app.child.wait().unwrap().code(), Some(0));
}
