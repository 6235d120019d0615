//! A service added by hand in `main` (`app.service(UsersServer::new(UsersImpl::new(repo)))`,
//! no `#[kratos::service]` on its impl) is first-class under `#[kratos::main]`: the
//! real example process exports it with `-export-proto`, lists it in its start-up
//! log, serves it, describes it by gRPC reflection and in its OpenAPI document. An
//! app with nothing to export says so and exits 1.

use std::process::Command;

use crate::curl::get;
use crate::process::{config_dir, example_binary, python_client, start};

#[tokio::test]
async fn a_service_added_by_hand_is_exported_logged_reflected_and_documented() {
    let out = tempfile::tempdir().unwrap();
    let export = Command::new(example_binary("injection"))
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
    assert!(listed.contains("injection/v1/users.proto"), "{listed}");
    let proto = std::fs::read_to_string(out.path().join("injection/v1/users.proto")).unwrap();
    assert!(
        proto.contains("service Users")
            && proto.contains("rpc GetUser(GetUserRequest) returns (User)"),
        "{proto}"
    );

    let conf = config_dir("");
    let app = start("injection", conf.path());
    assert!(
        app.started.contains(r#"services=["injection.v1.Users"]"#),
        "{}",
        app.started
    );

    let res = get(&format!("http://{}/v1/users/1", app.http)).await;
    assert_eq!(
        (res.status, res.text()),
        (200, r#"{"id":"1","name":"Ada"}"#)
    );

    let seen = python_client(
        "injection_client.py",
        &[out.path().as_os_str(), app.grpc.as_ref()],
    );
    assert_eq!(seen["user"], serde_json::json!({"id": "1", "name": "Ada"}));
    let reflected = seen["reflected_services"].as_array().unwrap();
    assert!(
        reflected.iter().any(|s| s == "injection.v1.Users"),
        "{reflected:?}"
    );
    assert_eq!(seen["reflected_file_found"], true);

    let res = get(&format!("http://{}/q/openapi.json", app.http)).await;
    assert_eq!(res.status, 200);
    let document = res.json();
    assert_eq!(document["info"]["title"], "injection");
    assert!(
        document["paths"]["/v1/users/{id}"]["get"].is_object(),
        "{document}"
    );
}

#[test]
fn export_proto_with_no_service_exits_1_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let export = Command::new(example_binary("empty"))
        .arg("-export-proto")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(export.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&export.stderr);
    assert!(
        stderr.contains("nothing to export") && stderr.contains("app.service("),
        "{stderr}"
    );
    assert!(export.stdout.is_empty());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
