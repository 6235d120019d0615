//! The helloworld example as a user runs it: a real process, a real config file
//! (edited while it runs), curl-style HTTP, a Python grpcio client with
//! protoc-generated stubs, and SIGTERM.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::curl::get;
use crate::process::{self, config_dir, config_text, python_client, start};

fn example_binary() -> std::path::PathBuf {
    process::example_binary("helloworld")
}

#[tokio::test]
async fn helloworld_serves_http_and_a_python_grpc_client_then_stops_on_sigterm() {
    let conf = config_dir("");
    let mut app = start("helloworld", conf.path());

    let res = get(&format!("http://{}/helloworld/kratos", app.http)).await;
    assert_eq!(
        (res.status, res.text()),
        (200, r#"{"message":"Hello kratos"}"#)
    );
    let res = get(&format!("http://{}/helloworld/unknown", app.http)).await;
    assert_eq!(res.status, 404);
    assert_eq!(
        res.text(),
        r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user not found: unknown","metadata":{}}"#
    );
    let res = get(&format!("http://{}/helloworld/panic", app.http)).await;
    assert_eq!(res.status, 500);
    assert_eq!(
        res.text(),
        r#"{"code":500,"reason":"UNKNOWN","message":"unknown request error","metadata":{}}"#
    );
    let res = get(&format!("http://{}/helloworld/again", app.http)).await;
    assert_eq!(res.status, 200, "the server keeps serving after a panic");

    let seen = python_client("greeter_client.py", &[app.grpc.as_ref()]);
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
#[cfg(all(feature = "proto-export", feature = "reflection", feature = "openapi"))]
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

    let conf = config_dir("");
    let app = start("helloworld", conf.path());
    let seen = python_client(
        "exported_client.py",
        &[out.path().as_os_str(), app.grpc.as_ref(), app.http.as_ref()],
    );
    assert_eq!(seen["reply"], "Hello exported");
    assert_eq!(seen["http_proto_content_type"], "application/proto");
    assert_eq!(seen["http_proto_reply"], "Hello protobuf");
    assert_eq!(
        seen["files"],
        serde_json::json!([
            "buf/validate/validate.proto",
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

    let res = get(&format!("http://{}/q/openapi.json", app.http)).await;
    assert_eq!(res.status, 200);
    let document = res.json();
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
    let conf = config_dir("");
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
    let conf = config_dir("");
    let mut app = start("helloworld", conf.path());
    let kill = Command::new("kill")
        .args(["-INT", &app.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(app.child.wait().unwrap().code(), Some(0));
}

/// Polls `GET url` until the reply's `message` is `want`; a minute is a guard against
/// hanging, not a timing assertion.
async fn reply_becomes(url: &str, want: &str, app: &process::Running) {
    let guard = Instant::now() + Duration::from_secs(60);
    loop {
        let res = get(url).await;
        if res.status == 200 && res.text() == format!(r#"{{"message":"{want}"}}"#) {
            return;
        }
        assert!(
            Instant::now() < guard,
            "the reply never became {want:?}: last {} {}; the log:\n{}",
            res.status,
            res.text(),
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Hot reload under `#[kratos::main]`: the running app keeps its config, so editing
/// the file under `-conf` changes `helloworld.greeting` in the next replies, without
/// a restart; a file that no longer parses is logged and the running value kept.
#[tokio::test]
async fn editing_the_config_file_changes_the_greeting_without_a_restart() {
    let conf = config_dir("");
    let file = conf.path().join("config.yaml");
    let app = start("helloworld", conf.path());
    let url = format!("http://{}/helloworld/kratos", app.http);
    let res = get(&url).await;
    assert_eq!(
        (res.status, res.text()),
        (200, r#"{"message":"Hello kratos"}"#)
    );

    std::fs::write(&file, config_text("helloworld: {greeting: Hi}\n")).unwrap();
    reply_becomes(&url, "Hi kratos", &app).await;
    let reloaded = app.wait_for_log("config reloaded");
    assert!(reloaded.contains("helloworld.greeting"), "{reloaded}");

    std::fs::write(&file, "helloworld: {greeting: [unclosed\n").unwrap();
    let failed = app.wait_for_log("config reload failed");
    assert!(
        failed.contains("config.yaml") && failed.contains("line"),
        "{failed}"
    );
    assert_eq!(
        get(&url).await.text(),
        r#"{"message":"Hi kratos"}"#,
        "a broken file keeps the running value"
    );

    // As an editor saves: a new file renamed over the old one.
    let saved = conf.path().join(".config.yaml.swp");
    std::fs::write(&saved, config_text("helloworld:\n  greeting: Hey\n")).unwrap();
    std::fs::rename(&saved, &file).unwrap();
    reply_becomes(&url, "Hey kratos", &app).await;
}
