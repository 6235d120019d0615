//! What SSE, NDJSON, a refused WebSocket and the OpenAPI document look like on the wire.

use super::*;
use crate::curl;

#[tokio::test]
async fn sse_on_the_wire_as_go_kratos_writes_it() {
    let f = start().await;
    let answer = curl::get(&format!("{}/v1/ticks/2", f.http())).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "text/event-stream");
    assert_eq!(answer.headers["cache-control"], "no-cache");
    assert_eq!(answer.headers["x-accel-buffering"], "no");
    assert_eq!(
        answer.text(),
        "event: message\ndata: {\"n\":2}\n\nevent: message\ndata: {\"n\":1}\n\n"
    );
    let answer = curl::get(&format!("{}/v1/ticks/3?failAt=2", f.http())).await;
    let text = answer.text();
    let (first, error) = text.split_once("\n\n").unwrap();
    assert_eq!(first, "event: message\ndata: {\"n\":3}");
    let data = error
        .strip_prefix("event: error\ndata: ")
        .expect(text)
        .trim_end();
    let body: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(body["code"], 409);
    assert_eq!(body["reason"], "AT");
    assert_eq!(body["message"], "failed at 2");
}

#[tokio::test]
async fn ndjson_when_the_client_asks_for_it() {
    let f = start().await;
    let url = format!("{}/v1/ticks/2", f.http());
    let answer = curl::send("GET", &url, &[("accept", "application/x-ndjson")], "").await;
    assert_eq!(answer.content_type(), "application/x-ndjson");
    assert_eq!(
        answer.text(),
        "{\"result\":{\"n\":2}}\n{\"result\":{\"n\":1}}\n"
    );
    let url = format!("{}/v1/ticks/2?failAt=1", f.http());
    let answer = curl::send("GET", &url, &[("accept", "application/x-ndjson")], "").await;
    let lines: Vec<&str> = answer.text().lines().collect();
    assert_eq!(lines[0], "{\"result\":{\"n\":2}}");
    let error: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(error["error"]["code"], 10, "ABORTED for 409: {error}");
    assert_eq!(error["error"]["message"], "failed at 1");
    assert_eq!(error["error"]["details"][0]["reason"], "AT");
}

#[tokio::test]
async fn websocket_refusal_and_misuse_are_plain_http_answers() {
    let f = start().await;
    // A plain GET on a WebSocket route.
    let answer = curl::get(&format!("{}/v1/add", f.http())).await;
    curl::assert_error(&answer, 400, "WEBSOCKET");
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn openapi_describes_server_streams_and_websockets() {
    let f = start().await;
    let doc = curl::get(&format!("{}/q/openapi.json", f.http()))
        .await
        .json();
    let ticks = &doc["paths"]["/v1/ticks/{count}"]["get"]["responses"]["200"]["content"];
    assert!(
        ticks["text/event-stream"]["schema"]["$ref"].is_string(),
        "{ticks}"
    );
    assert!(
        ticks["application/x-ndjson"]["schema"]["$ref"].is_string(),
        "{ticks}"
    );
    let add = &doc["paths"]["/v1/add"]["get"]["responses"];
    assert!(
        add["101"]["x-websocket"]["request"]["$ref"]
            .as_str()
            .unwrap()
            .ends_with("Num"),
        "{add}"
    );
    assert!(
        add["101"]["x-websocket"]["reply"]["$ref"]
            .as_str()
            .unwrap()
            .ends_with("Sum"),
        "{add}"
    );
    assert!(
        doc["paths"]["/v1/add"]["get"]["parameters"].is_null(),
        "no query binding for a WebSocket"
    );
}
