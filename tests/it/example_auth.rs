//! JWT as a user turns it on, in real processes: the auth example (the greeter
//! behind JWT, a `Login` outside it that signs tokens with `auth.key`), and the
//! helloworld example with `middleware.jwt` in its config and no code. Tokens are
//! checked by PyJWT, and grpcio calls carry them.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::curl;
use crate::process::{config_dir, example_binary, python, start};

const SECRET: &str = "a-test-secret-long-enough-for-pyjwt-to-accept-it-0123456789";

/// Go kratos's 401 body for `message`.
fn unauthorized(message: &str) -> Value {
    json!({"code": 401, "reason": "UNAUTHORIZED", "message": message, "metadata": {}})
}

/// Runs a few lines of Python with PyJWT and returns what they print, as JSON.
fn pyjwt(code: &str) -> Value {
    let output = Command::new("python3")
        .args(["-c", &format!("import json, time, jwt\n{code}")])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "PyJWT (install it with `bash .ci/setup`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// SayHello over grpcio once per `authorization` value (`null`: none sent).
fn grpc_calls(target: &str, cases: Value) -> Value {
    let mut child = python("jwt_check.py")
        .args(["grpc", target, "/helloworld.v1.Greeter/SayHello"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cases.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn get(url: &str, authorization: Option<&str>) -> curl::Answer {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| vec![("authorization", value)])
        .unwrap_or_default();
    curl::send("GET", url, &headers, "").await
}

#[tokio::test]
async fn login_hands_out_a_token_the_greeter_accepts_on_both_transports() {
    let conf = config_dir(&format!("auth:\n  key: {SECRET}\n  password: pw\n"));
    let app = start("auth", conf.path());
    let hello = format!("http://{}/helloworld/kratos", app.http);
    let login = format!("http://{}/auth/login", app.http);
    let json_body = [("content-type", "application/json")];

    let refused = get(&hello, None).await;
    assert_eq!(
        (refused.status, refused.json()),
        (401, unauthorized("JWT token is missing"))
    );
    let wrong = curl::send(
        "POST",
        &login,
        &json_body,
        r#"{"user":"ada","password":"no"}"#,
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    let answer = curl::send(
        "POST",
        &login,
        &json_body,
        r#"{"user":"ada","password":"pw"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let token = answer.json()["token"].as_str().unwrap().to_owned();

    // The token is an ordinary HS256 JWT: PyJWT reads it with the secret.
    let claims = pyjwt(&format!(
        "c = jwt.decode({token:?}, {SECRET:?}, algorithms=['HS256'])\nprint(json.dumps({{'sub': c['sub'], 'ttl': c['exp'] - int(time.time())}}))"
    ));
    assert_eq!(claims["sub"], "ada", "{claims}");
    let ttl = claims["ttl"].as_i64().unwrap();
    assert!((3000..=3600).contains(&ttl), "an hour: {claims}");

    let bearer = format!("Bearer {token}");
    let greeted = get(&hello, Some(&bearer)).await;
    assert_eq!(
        (greeted.status, greeted.json()),
        (200, json!({"message": "Hello kratos"}))
    );
    let tampered = format!("Bearer {token}x");
    let seen = grpc_calls(
        &app.grpc,
        json!({"token": bearer, "none": null, "tampered": tampered}),
    );
    assert_eq!(seen["token"]["code"], "OK", "{seen}");
    for case in ["none", "tampered"] {
        assert_eq!(seen[case]["code"], "UNAUTHENTICATED", "{case}: {seen}");
    }
}

#[tokio::test]
async fn middleware_jwt_in_the_config_guards_helloworld_without_code() {
    let conf = config_dir(&format!("middleware:\n  jwt:\n    key: {SECRET}\n"));
    let app = start("helloworld", conf.path());
    let hello = format!("http://{}/helloworld/kratos", app.http);
    let token = pyjwt(&format!(
        "print(json.dumps(jwt.encode({{'sub': 'ada'}}, {SECRET:?}, algorithm='HS256')))"
    ));
    let token = format!("Bearer {}", token.as_str().unwrap());
    let refused = get(&hello, None).await;
    assert_eq!(
        (refused.status, refused.json()),
        (401, unauthorized("JWT token is missing"))
    );
    assert_eq!(get(&hello, Some(&token)).await.status, 200);
    let seen = grpc_calls(&app.grpc, json!({"token": token, "none": null}));
    assert_eq!(seen["token"]["code"], "OK", "{seen}");
    assert_eq!(seen["none"]["code"], "UNAUTHENTICATED", "{seen}");

    // An exempt operation is served without a token.
    let conf = config_dir(&format!(
        "middleware:\n  jwt:\n    key: {SECRET}\n    exempt: [/helloworld.v1.Greeter/SayHello]\n"
    ));
    let open = start("helloworld", conf.path());
    let url = format!("http://{}/helloworld/kratos", open.http);
    assert_eq!(get(&url, None).await.status, 200);
}

#[test]
fn a_bad_middleware_jwt_stops_the_start_naming_the_key() {
    for (config, needle) in [
        (
            "middleware:\n  jwt:\n    key: s\n    algorithm: HS999\n",
            "\"middleware.jwt.algorithm\" is \"HS999\"",
        ),
        (
            "middleware:\n  jwt: {}\n",
            "\"middleware.jwt\" needs one of `key`",
        ),
        (
            "middleware:\n  jwt:\n    key: not-a-pem\n    algorithm: RS256\n",
            "\"middleware.jwt.key\": not a RS256 key",
        ),
    ] {
        let conf = config_dir(config);
        let output = Command::new(example_binary("helloworld"))
            .arg("-conf")
            .arg(conf.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{config}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{config}: {stderr}");
        // The key material never reaches the message.
        assert!(!stderr.contains("not-a-pem"), "{stderr}");
    }
}
