//! The envelope example's encoders over real HTTP: replies and errors wrapped in
//! `{code, message, data}` in the negotiated codec, protobuf left bare.

#[path = "../../examples/envelope/envelope.rs"]
#[allow(dead_code)]
mod example;

use example::{Greeter, GreeterClient, GreeterImpl, GreeterServer, HelloRequest};
use kratos::prelude::*;

use crate::curl::send;

/// The example's app as its `main` builds it, on a free port.
async fn start() -> (kratos::RunningApp, String) {
    let app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .map_server(example::install)
        .service(GreeterServer::new(GreeterImpl))
        .build()
        .start()
        .await
        .expect("starts");
    let url = app.endpoint("http").unwrap().to_owned();
    (app, url)
}

#[tokio::test]
async fn replies_are_wrapped() {
    let (_app, url) = start().await;
    let res = send("GET", &format!("{url}/hello/kratos"), &[], "").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.headers["content-type"], "application/json");
    assert_eq!(
        res.json(),
        serde_json::json!({"code": 0, "message": "OK", "data": {"message": "Hello kratos"}})
    );

    #[cfg(feature = "yaml")]
    {
        let yaml = [("accept", "application/yaml")];
        let res = send("GET", &format!("{url}/hello/kratos"), &yaml, "").await;
        assert_eq!(res.headers["content-type"], "application/yaml");
        let body: serde_yaml::Value = serde_yaml::from_slice(&res.body).unwrap();
        assert_eq!(body["code"], 0);
        assert_eq!(body["data"]["message"], "Hello kratos");
    }
}

#[tokio::test]
async fn errors_are_wrapped_with_their_status() {
    let (_app, url) = start().await;
    let res = send("GET", &format!("{url}/hello/nobody"), &[], "").await;
    assert_eq!(res.status, 404);
    assert_eq!(
        res.json(),
        serde_json::json!({"code": 404, "message": "nobody is not here", "data": null})
    );
    // The framework's own errors go through the same encoder.
    let res = send("GET", &format!("{url}/nowhere"), &[], "").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["code"], 404);
    assert_eq!(res.json()["data"], serde_json::Value::Null);
}

#[tokio::test]
async fn protobuf_clients_get_the_bare_message() {
    let (_app, url) = start().await;
    let accept = [("accept", "application/proto")];
    let res = send("GET", &format!("{url}/hello/kratos"), &accept, "").await;
    assert_eq!(res.content_type(), "application/proto");
    // HelloReply { string message = 1; }: tag 1, length 12, the text.
    assert_eq!(res.body, b"\x0a\x0cHello kratos");
}

#[tokio::test]
async fn a_kratos_client_still_sees_the_error_code() {
    // The generated client expects bare replies (a team that wraps replies wraps its
    // clients too), but the status still carries an error's code.
    let (_app, url) = start().await;
    let client = GreeterClient::http(&url).unwrap();
    let error = client
        .say_hello(HelloRequest {
            name: "nobody".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code, 404);
}
