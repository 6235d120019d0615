//! Hostile bodies over real HTTP: nesting 100000 deep in every codec (a recursive
//! message, and nested lists and maps under an unknown key) is 400 `CODEC` saying the
//! nesting is too deep, and the server keeps answering; nesting at the limit is
//! served; JSON is read as protojson reads it (no duplicate keys, one alternative per
//! oneof); and a normal request is answered while large bodies are being decoded.

use std::collections::HashMap;
use std::time::Duration;

use kratos::RunningApp;
use kratos::encoding::MAX_DEPTH;
use kratos::prelude::*;

mod bodies;

use bodies::*;

use crate::curl;

/// A message that holds itself, with a list, a oneof and a map beside it.
#[kratos::message]
pub struct Node {
    pub name: String,
    pub child: Option<Box<Node>>,
    pub tags: Vec<String>,
    pub display_name: String,
    pub choice: Option<Choice>,
    pub labels: HashMap<String, String>,
}

/// Two alternatives of one oneof.
#[kratos::message]
pub enum Choice {
    Text(String),
    Number(i64),
}

/// What the server saw: how deep the chain of children went, and the innermost name.
#[kratos::message]
pub struct Summary {
    pub depth: u32,
    pub name: String,
    pub choice: String,
    pub tags: u32,
}

#[kratos::service(package = "hostile.v1")]
pub trait Tree {
    #[route(post = "/v1/nodes", body = "*")]
    async fn create(&self, req: Node) -> kratos::Result<Summary>;

    #[route(get = "/v1/nodes/{name}")]
    async fn get(&self, req: Node) -> kratos::Result<Summary>;
}

pub struct TreeImpl;

fn summary(node: Node) -> Summary {
    let choice = match &node.choice {
        Some(Choice::Text(t)) => format!("text:{t}"),
        Some(Choice::Number(n)) => format!("number:{n}"),
        None => String::new(),
    };
    let tags = node.tags.len() as u32;
    let mut depth = 0;
    let mut at = &node;
    while let Some(child) = &at.child {
        depth += 1;
        at = child;
    }
    Summary {
        depth,
        name: at.name.clone(),
        choice,
        tags,
    }
}

impl Tree for TreeImpl {
    async fn create(&self, req: Node) -> kratos::Result<Summary> {
        Ok(summary(req))
    }

    async fn get(&self, req: Node) -> kratos::Result<Summary> {
        Ok(summary(req))
    }
}

async fn start() -> (RunningApp, String) {
    let app = App::builder()
        .name("hostile")
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .service(TreeServer::new(TreeImpl))
        .build()
        .start()
        .await
        .expect("app starts");
    let url = app.endpoint("http").expect("http endpoint").to_owned();
    (app, url)
}

/// What a client sees of an answer: status and the JSON body.
struct Answer {
    status: u16,
    body: serde_json::Value,
}

/// One request on its own connection, with a guard against a server that never answers.
async fn send(method: &str, url: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let headers = [("content-type", content_type)];
    let answer = tokio::time::timeout(
        Duration::from_secs(120),
        curl::send(method, url, &headers, body),
    )
    .await
    .unwrap_or_else(|_| panic!("{method} {url} got no answer within 120 s"));
    Answer {
        status: answer.status,
        body: answer.json(),
    }
}

/// A normal call on a fresh connection: the server is still alive and serving.
async fn still_serving(url: &str) {
    let answer = send(
        "GET",
        &format!("{url}/v1/nodes/ok"),
        "application/json",
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["name"], "ok");
}

fn assert_too_deep(what: &str, answer: &Answer) {
    assert_eq!(answer.status, 400, "{what}: {}", answer.body);
    assert_eq!(answer.body["reason"], "CODEC", "{what}: {}", answer.body);
    let message = answer.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nesting is too deep"),
        "{what}: the message says why: {message}"
    );
}

const HOSTILE_DEPTH: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_100000_deep_is_400_codec_in_every_codec_and_the_server_keeps_serving() {
    let (mut app, url) = start().await;
    let n = HOSTILE_DEPTH;
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("json message", "application/json", json_nodes(n)),
        (
            "json unknown lists",
            "application/json",
            json_unknown_lists(n),
        ),
        (
            "json unknown maps",
            "application/json",
            json_unknown_maps(n),
        ),
        ("proto message", "application/proto", proto_nodes(n)),
        ("xml message", "application/xml", xml_nodes(n)),
        (
            "xml unknown elements",
            "application/xml",
            xml_unknown_elements(n),
        ),
        ("yaml message", "application/yaml", yaml_nodes(n)),
        (
            "yaml unknown flow lists",
            "application/yaml",
            yaml_unknown_flow_lists(n),
        ),
        (
            "yaml unknown flow maps",
            "application/yaml",
            yaml_unknown_flow_maps(n),
        ),
        (
            "yaml unknown block lists",
            "application/yaml",
            yaml_unknown_block_lists(n),
        ),
        (
            "form message",
            "application/x-www-form-urlencoded",
            form_nodes(n),
        ),
    ];
    for (what, content_type, body) in cases {
        let answer = send("POST", &format!("{url}/v1/nodes"), content_type, body).await;
        assert_too_deep(what, &answer);
        still_serving(&url).await;
    }
    // A URL carries less than a body: 10000 levels is 60 KB of query string.
    let query = String::from_utf8(form_nodes(10_000)).unwrap();
    let answer = send("GET", &format!("{url}/v1/nodes/x?{query}"), "", Vec::new()).await;
    assert_too_deep("query string", &answer);
    still_serving(&url).await;
    app.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_at_the_limit_is_served_and_one_more_level_is_not() {
    let (mut app, url) = start().await;
    type Build = fn(usize) -> Vec<u8>;
    let codecs: [(&str, &str, Build); 5] = [
        ("json", "application/json", json_nodes),
        ("proto", "application/proto", proto_nodes),
        ("xml", "application/xml", xml_nodes),
        ("yaml", "application/yaml", yaml_nodes),
        ("form", "application/x-www-form-urlencoded", form_nodes),
    ];
    for (what, content_type, build) in codecs {
        let answer = send(
            "POST",
            &format!("{url}/v1/nodes"),
            content_type,
            build(MAX_DEPTH),
        )
        .await;
        assert_eq!(answer.status, 200, "{what} at the limit: {}", answer.body);
        assert_eq!(answer.body["depth"], MAX_DEPTH as u64, "{what}");
        assert_eq!(answer.body["name"], "leaf", "{what}");
        let deeper = build(MAX_DEPTH + 1);
        let answer = send("POST", &format!("{url}/v1/nodes"), content_type, deeper).await;
        assert_too_deep(&format!("{what} one level past the limit"), &answer);
    }
    let query = |depth| String::from_utf8(form_nodes(depth)).unwrap();
    let answer = send(
        "GET",
        &format!("{url}/v1/nodes/x?{}", query(MAX_DEPTH)),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, 200, "query at the limit: {}", answer.body);
    assert_eq!(answer.body["depth"], MAX_DEPTH as u64);
    let answer = send(
        "GET",
        &format!("{url}/v1/nodes/x?{}", query(MAX_DEPTH + 1)),
        "",
        Vec::new(),
    )
    .await;
    assert_too_deep("query one level past the limit", &answer);
    app.stop().await.expect("stops");
}

#[tokio::test]
async fn json_is_read_as_protojson_reads_it() {
    let (mut app, url) = start().await;
    let nodes = format!("{url}/v1/nodes");
    let post = |body: &str| send("POST", &nodes, "application/json", body.as_bytes().to_vec());
    let refused = [
        (r#"{"name":"a","name":"b"}"#, "duplicate field \"name\""),
        (
            r#"{"display_name":"a","displayName":"b"}"#,
            "duplicate field \"display_name\"",
        ),
        (
            r#"{"text":"a","number":"1"}"#,
            "oneof \"choice\" is already set",
        ),
        (
            r#"{"number":1,"text":"a"}"#,
            "oneof \"choice\" is already set",
        ),
        (r#"{"labels":{"k":"1","k":"2"}}"#, "duplicate map key \"k\""),
        (
            r#"{"child":{"name":"a","name":"b"}}"#,
            "duplicate field \"name\"",
        ),
    ];
    for (body, says) in refused {
        let answer = post(body).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.body["reason"], "CODEC", "{body}");
        let message = answer.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    // One alternative, and each field once, still read as before.
    let answer = post(r#"{"name":"a","number":"7","labels":{"k":"1","j":"2"}}"#).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["choice"], "number:7");
    app.stop().await.expect("stops");
}

/// A large YAML body the codec must fully parse: a list of 4 MiB of short items,
/// at the body size limit, nested as deep as allowed.
fn heavy_yaml() -> Vec<u8> {
    const LIMIT: usize = 4 * 1024 * 1024;
    let mut out = String::from("tags: [");
    out.push_str(&"[".repeat(MAX_DEPTH - 1));
    let close = "]".repeat(MAX_DEPTH);
    while out.len() + close.len() + 4 < LIMIT {
        out.push_str("x, ");
    }
    out.push('x');
    out.push_str(&close);
    out.push('\n');
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_request_is_answered_while_large_bodies_decode() {
    let (mut app, url) = start().await;
    // Twice as many costly bodies as the server has workers: decoded on the workers,
    // they would hold every one until they were done.
    let hostile: Vec<_> = (0..4)
        .map(|_| {
            let url = format!("{url}/v1/nodes");
            tokio::spawn(async move { send("POST", &url, "application/yaml", heavy_yaml()).await })
        })
        .collect();
    // Let the bodies arrive and their decoding start; no timing is asserted.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    still_serving(&url).await;
    // Decoded on the 2 workers, at most 2 large bodies could still be running when
    // the normal request got a worker back: more than that means it never waited.
    let in_flight = hostile.iter().filter(|h| !h.is_finished()).count();
    assert!(
        in_flight > 2,
        "the normal request was answered only after large bodies were done ({in_flight} left)"
    );
    for handle in hostile {
        let answer = handle.await.unwrap();
        assert!(
            answer.status == 200 || answer.status == 400,
            "a large body gets an answer: {}",
            answer.body
        );
    }
    app.stop().await.expect("stops");
}
