//! The HTTP adapter over a real socket: binding rules, statuses, error bodies.

use crate::common::{self, http_url, start};
use crate::curl::{assert_error, send};

#[tokio::test]
async fn get_binds_path_then_query_and_sets_context() {
    let app = start().await;
    let base = http_url(&app);
    let res = send(
        "GET",
        &format!("{base}/v1/echo/bob?name=ignored&userId=7&tags=a&tags=b&page.number=3&page.size=20&flag=true"),
        &[("x-test", "hello")],
        "",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.headers.get("content-type").unwrap(), "application/json");
    assert_eq!(res.headers.get("x-echo-kind").unwrap(), "http");
    assert_eq!(res.headers.get("x-test-seen").unwrap(), "hello");
    let json = res.json();
    assert_eq!(json["name"], "bob", "path variable wins over the query");
    assert_eq!(json["userId"], "7", "int64 is a string in protobuf JSON");
    assert_eq!(
        json["tags"],
        serde_json::json!(["a", "b"]),
        "repeated keys fill a Vec"
    );
    assert_eq!(json["page"]["number"], 3);
    assert_eq!(json["page"]["size"], 20);
    assert_eq!(json["flag"], true);
    assert_eq!(json["kind"], "http");
    assert_eq!(json["operation"], "/test.v1.Echo/Echo");
}

#[tokio::test]
async fn query_accepts_declared_names_and_ignores_unknown_keys() {
    let app = start().await;
    let res = send(
        "DELETE",
        &format!("{}/v1/echo/x?user_id=9&cache_buster=1", http_url(&app)),
        &[],
        "",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["userId"], "9");
}

#[tokio::test]
async fn post_body_star_with_path_override_and_custom_status() {
    let app = start().await;
    let res = send(
        "POST",
        &format!("{}/v1/users/42", http_url(&app)),
        &[("content-type", "application/json")],
        r#"{"name":"ann","userId":1,"tags":["x"],"page":{"number":2}}"#,
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let json = res.json();
    assert_eq!(json["userId"], "42", "path variables override the body");
    assert_eq!(json["name"], "ann");
    assert_eq!(json["tags"], serde_json::json!(["x"]));
    assert_eq!(json["page"]["number"], 2);
}

#[tokio::test]
async fn put_body_field_fills_that_field_and_query_the_rest() {
    let app = start().await;
    let res = send(
        "PUT",
        &format!("{}/v1/users/5/page?name=zed", http_url(&app)),
        &[("content-type", "application/json; charset=utf-8")],
        r#"{"number":4,"size":50}"#,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let json = res.json();
    assert_eq!(json["page"], serde_json::json!({"number": 4, "size": 50}));
    assert_eq!(json["name"], "zed");
    assert_eq!(json["userId"], "5");
}

#[tokio::test]
async fn nested_path_variable_fills_nested_field() {
    let app = start().await;
    let res = send(
        "PATCH",
        &format!("{}/v1/pages/12?page.size=3", http_url(&app)),
        &[],
        "",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json()["page"],
        serde_json::json!({"number": 12, "size": 3})
    );
}

#[tokio::test]
async fn path_variables_are_percent_decoded_and_must_be_utf8() {
    let app = start().await;
    let base = http_url(&app);
    let res = send("GET", &format!("{base}/v1/echo/a%20b%2Fc%C3%A9"), &[], "").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["name"], "a b/cé", "one segment, decoded");
    let res = send("PATCH", &format!("{base}/v1/pages/%31%32"), &[], "").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["page"]["number"], 12);
    // Bytes that are not UTF-8 once decoded cannot fill a string field.
    let res = send("GET", &format!("{base}/v1/echo/%FF%FE"), &[], "").await;
    assert_error(&res, 400, "CODEC");
    let message = res.json()["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("path: "), "{message}");
    let res = send("GET", &format!("{base}/v1/echo/"), &[], "").await;
    assert_error(&res, 404, "NOT_FOUND");
}

/// Generated routes are matched beside the hand-written ones exactly as the router
/// matches them: a static path wins over a variable, HEAD is GET without a body.
#[tokio::test]
async fn hand_written_static_paths_win_over_generated_variables_and_head_answers() {
    use kratos::App;
    use kratos::grpc::GrpcServer;
    use kratos::http::HttpServer;

    let http = HttpServer::new().address("127.0.0.1:0").route(
        kratos::descriptor::HttpMethod::Get,
        "/v1/echo/static",
        "/static",
        || async { "hand-written" },
    );
    let app = App::builder()
        .handle_signals(false)
        .server(http)
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(common::EchoServer::new(common::EchoImpl))
        .build()
        .start()
        .await
        .expect("app starts");
    let base = http_url(&app);
    let res = send("GET", &format!("{base}/v1/echo/static"), &[], "").await;
    assert_eq!((res.status, res.text()), (200, "hand-written"));
    let res = send("GET", &format!("{base}/v1/echo/other"), &[], "").await;
    assert_eq!(res.json()["name"], "other");
    let res = send("HEAD", &format!("{base}/v1/echo/other"), &[], "").await;
    assert_eq!(res.status, 200);
    assert!(res.body.is_empty(), "HEAD has no body");
    let res = send("DELETE", &format!("{base}/v1/echo/static"), &[], "").await;
    assert_error(&res, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_verb_is_405_in_kratos_shape() {
    let app = start().await;
    let base = http_url(&app);
    let res = send("GET", &format!("{base}/nowhere"), &[], "").await;
    assert_error(&res, 404, "NOT_FOUND");
    let res = send("PUT", &format!("{base}/v1/echo/bob"), &[], "").await;
    assert_error(&res, 405, "METHOD_NOT_ALLOWED");
    let allow = res.headers.get("allow").unwrap().to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("DELETE"), "{allow}");
}

#[tokio::test]
async fn bad_inputs_are_400_codec_and_never_panic() {
    let app = start().await;
    let base = http_url(&app);
    let json = [("content-type", "application/json")];
    let res = send("POST", &format!("{base}/v1/users/1"), &json, "{not json").await;
    assert_error(&res, 400, "CODEC");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("body unmarshal")
    );
    let res = send(
        "POST",
        &format!("{base}/v1/users/1"),
        &json,
        r#"{"userId":"many"}"#,
    )
    .await;
    assert_error(&res, 400, "CODEC");
    let res = send("POST", &format!("{base}/v1/users/notanumber"), &json, "{}").await;
    assert_error(&res, 400, "CODEC");
    let res = send("GET", &format!("{base}/v1/echo/x?userId=abc"), &[], "").await;
    assert_error(&res, 400, "CODEC");
    let res = send("GET", &format!("{base}/v1/echo/x?flag=maybe"), &[], "").await;
    assert_error(&res, 400, "CODEC");
    // The server still answers after all of that.
    assert_eq!(
        send("GET", &format!("{base}/v1/echo/ok"), &[], "")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let app = start().await;
    let huge = format!(
        r#"{{"name":"{}"}}"#,
        "x".repeat(kratos::http::MAX_BODY_BYTES + 1)
    );
    let res = send(
        "POST",
        &format!("{}/v1/users/1", http_url(&app)),
        &[("content-type", "application/json")],
        &huge,
    )
    .await;
    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn unsupported_content_type_is_415_codec() {
    let app = start().await;
    let res = send(
        "POST",
        &format!("{}/v1/users/1", http_url(&app)),
        &[("content-type", "text/csv")],
        "a,b",
    )
    .await;
    assert_error(&res, 415, "CODEC");
}

#[tokio::test]
async fn handler_errors_use_their_code_as_status() {
    let app = start().await;
    let base = http_url(&app);
    let res = send("GET", &format!("{base}/v1/fail/bob"), &[], "").await;
    assert_error(&res, 404, "USER_NOT_FOUND");
    assert_eq!(res.json()["message"], "user bob not found");
    assert_eq!(res.json()["metadata"], serde_json::json!({"name": "bob"}));
    let res = send("GET", &format!("{base}/v1/fail/plain"), &[], "").await;
    assert_error(&res, 500, "");
    assert_eq!(
        res.json()["message"],
        "internal server error",
        "internal text is not sent"
    );
    let res = send("GET", &format!("{base}/v1/fail/panic"), &[], "").await;
    assert_error(&res, 500, "UNKNOWN");
    assert_eq!(res.json()["message"], "unknown request error");
    let res = send("GET", &format!("{base}/v1/fail/teapot"), &[], "").await;
    assert_error(&res, 418, "TEAPOT");
}

#[tokio::test]
async fn server_timeout_answers_504() {
    let app = common::start_with_timeout(std::time::Duration::from_millis(100)).await;
    let res = send("GET", &format!("{}/v1/sleep/5000", http_url(&app)), &[], "").await;
    assert_error(&res, 504, "TIMEOUT");
}

#[tokio::test]
async fn grpc_only_method_has_no_http_route() {
    let app = start().await;
    let res = send(
        "POST",
        &format!("{}/test.v1.Echo/GrpcOnly", http_url(&app)),
        &[],
        "",
    )
    .await;
    assert_error(&res, 404, "NOT_FOUND");
}
