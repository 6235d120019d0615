//! Content negotiation over real HTTP: each codec sends a request and asks for the
//! reply, and an independent decoder (serde_json, serde_yaml, quick-xml's event
//! reader, a hand-declared prost message, `form_urlencoded::parse`) reads what a
//! user would see (`codecs/wire.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use kratos::RunningApp;
use kratos::encoding::{self, Codec, CodecError, Decode, Encode};
use kratos::prelude::*;

mod wire;

use wire::{Decoders as _, ItemPb, StatusPb, pairs, sample};

use crate::curl::send;

#[kratos::message]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

#[kratos::message]
pub struct Item {
    pub name: String,
    pub count: i32,
    pub tags: Vec<String>,
    pub page: Option<Page>,
    pub flag: bool,
}

#[kratos::service(package = "codecs.v1")]
pub trait Store {
    #[route(post = "/v1/items", body = "*")]
    async fn create(&self, req: Item) -> kratos::Result<Item>;

    #[route(put = "/v1/items/{name}/page", body = "page")]
    async fn set_page(&self, req: Item) -> kratos::Result<Item>;

    #[route(get = "/v1/items/{name}")]
    async fn get(&self, req: Item) -> kratos::Result<Item>;
}

pub struct StoreImpl;

impl Store for StoreImpl {
    async fn create(&self, req: Item) -> kratos::Result<Item> {
        Ok(req)
    }

    async fn set_page(&self, req: Item) -> kratos::Result<Item> {
        Ok(req)
    }

    async fn get(&self, req: Item) -> kratos::Result<Item> {
        if req.name == "missing" {
            return Err(Error::not_found("ITEM_NOT_FOUND", "no item named missing")
                .with_metadata("name", req.name));
        }
        Ok(req)
    }
}

async fn start_with(server: HttpServer) -> (RunningApp, String) {
    let app = App::builder()
        .name("codecs")
        .handle_signals(false)
        .server(server.address("127.0.0.1:0"))
        .service(StoreServer::new(StoreImpl))
        .build()
        .start()
        .await
        .expect("app starts");
    let url = app.endpoint("http").expect("http endpoint").to_owned();
    (app, url)
}

async fn start() -> (RunningApp, String) {
    start_with(HttpServer::new()).await
}

#[tokio::test]
async fn json_request_and_reply() {
    let (_app, url) = start().await;
    let body = r#"{"name":"lamp","count":3,"tags":["red","new"],"page":{"number":2,"size":20},"flag":true}"#;
    let headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("accept", "application/json"),
    ];
    let seen = send("POST", &format!("{url}/v1/items"), &headers, body).await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.content_type(), "application/json");
    assert_eq!(
        seen.json(),
        serde_json::json!({"name":"lamp","count":3,"tags":["red","new"],"page":{"number":2,"size":20},"flag":true})
    );
}

#[tokio::test]
async fn yaml_request_and_reply() {
    let (_app, url) = start().await;
    let body =
        "name: lamp\ncount: 3\ntags: [red, new]\npage:\n  number: 2\n  size: 20\nflag: true\n";
    let headers = [
        ("content-type", "application/yaml"),
        ("accept", "application/yaml"),
    ];
    let seen = send("POST", &format!("{url}/v1/items"), &headers, body).await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.content_type(), "application/yaml");
    let yaml = seen.yaml();
    assert_eq!(yaml["name"], "lamp");
    assert_eq!(yaml["count"], 3);
    assert_eq!(yaml["tags"][1], "new");
    assert_eq!(yaml["page"]["size"], 20);
    assert_eq!(yaml["flag"], true);
}

#[tokio::test]
async fn xml_request_and_reply() {
    let (_app, url) = start().await;
    let body = "<Item><name>lamp</name><count>3</count><tags>red</tags><tags>new</tags>\
                <page><number>2</number><size>20</size></page><flag>true</flag></Item>";
    let headers = [
        ("content-type", "application/xml"),
        ("accept", "application/xml"),
    ];
    let seen = send("POST", &format!("{url}/v1/items"), &headers, body).await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.content_type(), "application/xml");
    let (root, texts) = seen.xml();
    assert_eq!(root, "Item");
    assert_eq!(
        texts,
        pairs(&[
            ("name", "lamp"),
            ("count", "3"),
            ("tags", "red"),
            ("tags", "new"),
            ("page.number", "2"),
            ("page.size", "20"),
            ("flag", "true"),
        ])
    );
}

#[tokio::test]
async fn proto_request_and_reply_under_both_media_types() {
    let (_app, url) = start().await;
    for content_type in ["application/proto", "application/x-protobuf"] {
        let body = prost::Message::encode_to_vec(&sample());
        let headers = [("content-type", content_type), ("accept", content_type)];
        let seen = send("POST", &format!("{url}/v1/items"), &headers, body).await;
        assert_eq!(seen.status, 200, "{content_type}");
        assert_eq!(
            seen.content_type(),
            "application/proto",
            "as Go kratos names it"
        );
        assert_eq!(seen.proto::<ItemPb>(), sample());
    }
}

#[tokio::test]
async fn form_request_and_reply_with_nested_and_repeated_keys() {
    let (_app, url) = start().await;
    let body = "name=lamp&count=3&tags=red&tags=new&page.number=2&page.size=20&flag=true";
    let form = "application/x-www-form-urlencoded";
    let seen = send(
        "POST",
        &format!("{url}/v1/items"),
        &[("content-type", form), ("accept", form)],
        body,
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.content_type(), form);
    let mut got = seen.form();
    got.sort();
    let mut want = pairs(&[
        ("name", "lamp"),
        ("count", "3"),
        ("tags", "red"),
        ("tags", "new"),
        ("page.number", "2"),
        ("page.size", "20"),
        ("flag", "true"),
    ]);
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn query_strings_take_nested_and_repeated_keys_whatever_the_reply_codec() {
    let (_app, url) = start().await;
    let seen = send(
        "GET",
        &format!("{url}/v1/items/lamp?tags=a&tags=b&page.number=7&count=-2"),
        &[("accept", "application/yaml")],
        "",
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.content_type(), "application/yaml");
    let yaml = seen.yaml();
    assert_eq!(yaml["name"], "lamp");
    assert_eq!(yaml["count"], -2);
    assert_eq!(
        yaml["tags"],
        serde_yaml::from_str::<serde_yaml::Value>("[a, b]").unwrap()
    );
    assert_eq!(yaml["page"]["number"], 7);
}

#[tokio::test]
async fn body_field_routes_decode_the_field_in_every_serde_codec_and_form() {
    let (_app, url) = start().await;
    let cases = [
        ("application/json", r#"{"number":4,"size":50}"#),
        ("application/yaml", "number: 4\nsize: 50\n"),
        (
            "application/xml",
            "<page><number>4</number><size>50</size></page>",
        ),
        ("application/x-www-form-urlencoded", "number=4&size=50"),
    ];
    for (content_type, body) in cases {
        let seen = send(
            "PUT",
            &format!("{url}/v1/items/lamp/page?count=1"),
            &[("content-type", content_type)],
            body,
        )
        .await;
        assert_eq!(seen.status, 200, "{content_type}: {}", seen.text());
        let json = seen.json();
        assert_eq!(
            json["page"],
            serde_json::json!({"number": 4, "size": 50}),
            "{content_type}"
        );
        assert_eq!(json["name"], "lamp", "{content_type}");
        assert_eq!(json["count"], 1, "{content_type}");
    }
}

#[tokio::test]
async fn accept_wildcards_missing_or_unknown_answer_json() {
    let (_app, url) = start().await;
    for accept in [
        None,
        Some("*/*"),
        Some("text/html, */*;q=0.8"),
        Some("text/html"),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let seen = send("GET", &format!("{url}/v1/items/lamp"), &headers, "").await;
        assert_eq!(seen.status, 200, "{accept:?}");
        assert_eq!(seen.content_type(), "application/json", "{accept:?}");
        assert_eq!(seen.json()["name"], "lamp");
    }
    let headers = [("accept", "application/json;q=0, application/xml")];
    let seen = send("GET", &format!("{url}/v1/items/lamp"), &headers, "").await;
    assert_eq!(seen.content_type(), "application/xml", "q=0 refuses json");
}

#[tokio::test]
async fn unsupported_content_type_is_415_codec() {
    let (_app, url) = start().await;
    let headers = [("content-type", "text/csv")];
    let seen = send(
        "POST",
        &format!("{url}/v1/items"),
        &headers,
        "name,count\nlamp,3\n",
    )
    .await;
    assert_eq!(seen.status, 415);
    assert_eq!(seen.content_type(), "application/json");
    let json = seen.json();
    assert_eq!(json["code"], 415);
    assert_eq!(json["reason"], "CODEC");
    let message = json["message"].as_str().unwrap();
    assert!(
        message.contains("text/csv") && message.contains("application/yaml"),
        "{message}"
    );

    let headers = [("content-type", "text/csv"), ("accept", "application/yaml")];
    let seen = send("POST", &format!("{url}/v1/items"), &headers, "x").await;
    assert_eq!(
        (seen.status, seen.content_type()),
        (415, "application/yaml")
    );
    assert_eq!(seen.yaml()["reason"], "CODEC");
}

#[tokio::test]
async fn a_body_that_does_not_decode_is_400_codec_in_every_codec() {
    let (_app, url) = start().await;
    let cases: [(&str, &[u8]); 5] = [
        ("application/json", b"{not json"),
        ("application/yaml", b"name: [unclosed"),
        ("application/xml", b"<Item><count>many</count></Item>"),
        ("application/proto", &[0x0a, 0xff]),
        ("application/x-www-form-urlencoded", b"count=many"),
    ];
    for (content_type, body) in cases {
        let seen = send(
            "POST",
            &format!("{url}/v1/items"),
            &[("content-type", content_type)],
            body,
        )
        .await;
        assert_eq!(seen.status, 400, "{content_type}: {}", seen.text());
        let json = seen.json();
        assert_eq!(json["reason"], "CODEC", "{content_type}");
        let message = json["message"].as_str().unwrap();
        assert!(
            message.starts_with("body unmarshal"),
            "{content_type}: {message}"
        );
    }
}

#[tokio::test]
async fn errors_are_negotiated_like_replies() {
    let (_app, url) = start().await;
    let missing = format!("{url}/v1/items/missing");

    let seen = send("GET", &missing, &[("accept", "application/yaml")], "").await;
    assert_eq!(
        (seen.status, seen.content_type()),
        (404, "application/yaml")
    );
    let yaml = seen.yaml();
    assert_eq!(yaml["code"], 404);
    assert_eq!(yaml["reason"], "ITEM_NOT_FOUND");
    assert_eq!(yaml["message"], "no item named missing");
    assert_eq!(yaml["metadata"]["name"], "missing");

    let seen = send("GET", &missing, &[("accept", "application/x-protobuf")], "").await;
    assert_eq!(
        (seen.status, seen.content_type()),
        (404, "application/proto")
    );
    let status: StatusPb = seen.proto();
    assert_eq!(
        (status.code, status.reason.as_str()),
        (404, "ITEM_NOT_FOUND")
    );
    assert_eq!(status.metadata["name"], "missing");

    let seen = send("GET", &missing, &[("accept", "application/xml")], "").await;
    let (root, texts) = seen.xml();
    assert_eq!(root, "Error");
    assert!(
        texts.contains(&("reason".into(), "ITEM_NOT_FOUND".into())),
        "{texts:?}"
    );
    assert!(
        texts.contains(&("metadata.name".into(), "missing".into())),
        "{texts:?}"
    );

    // The framework's own errors too: unknown route, wrong verb.
    let proto = [("accept", "application/proto")];
    let seen = send("GET", &format!("{url}/nowhere"), &proto, "").await;
    let status: StatusPb = seen.proto();
    assert_eq!(
        (seen.status, status.code, status.reason.as_str()),
        (404, 404, "NOT_FOUND")
    );
    let seen = send(
        "DELETE",
        &format!("{url}/v1/items"),
        &[("accept", "application/x-www-form-urlencoded")],
        "",
    )
    .await;
    assert_eq!(seen.status, 405);
    let form: BTreeMap<String, String> = seen.form().into_iter().collect();
    assert_eq!(form["code"], "405");
    assert_eq!(form["reason"], "METHOD_NOT_ALLOWED");
}

/// A user's codec: one `key=value` per line, nested keys dotted; built only on
/// the public views, registered at run time.
struct Lines;

impl Codec for Lines {
    fn name(&self) -> &str {
        "vnd.lines"
    }

    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let mut form = Vec::new();
        encoding::Form.encode(value, &mut form)?;
        for (key, value) in form_urlencoded::parse(&form) {
            out.extend_from_slice(format!("{key}={value}\n").as_bytes());
        }
        Ok(())
    }

    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError> {
        let text = std::str::from_utf8(bytes).map_err(CodecError::new)?;
        for line in text.lines().filter(|l| !l.is_empty()) {
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| CodecError::new(format!("no '=' in {line:?}")))?;
            let path: Vec<&str> = key.split('.').collect();
            into.set_field(&path, value).map_err(CodecError::new)?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_codec_registered_at_run_time_serves_requests_replies_and_errors() {
    encoding::register(Arc::new(Lines)).expect("a valid codec name");
    let (_app, url) = start().await;
    let lines = "application/vnd.lines";
    let headers = [("content-type", lines), ("accept", lines)];
    let seen = send(
        "POST",
        &format!("{url}/v1/items"),
        &headers,
        "name=lamp\ntags=a\ntags=b\npage.size=9\n",
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.content_type(), lines);
    let got: Vec<&str> = seen.text().lines().collect();
    for want in [
        "name=lamp",
        "tags=a",
        "tags=b",
        "page.size=9",
        "page.number=0",
        "count=0",
        "flag=false",
    ] {
        assert!(got.contains(&want), "{want} in {got:?}");
    }

    let seen = send(
        "GET",
        &format!("{url}/v1/items/missing"),
        &[("accept", lines)],
        "",
    )
    .await;
    assert_eq!((seen.status, seen.content_type()), (404, lines));
    assert!(
        seen.text().contains("reason=ITEM_NOT_FOUND\n"),
        "{}",
        seen.text()
    );
}

#[tokio::test]
async fn the_http_client_reads_replies_and_errors_in_any_codec() {
    // A server that always answers in YAML (replies) and protobuf (errors), whatever
    // the client accepts.
    let always = |name: &str| {
        let codec = encoding::get(name).unwrap();
        move |status: http::StatusCode, value: &dyn Encode| {
            let mut body = Vec::new();
            codec
                .encode(value, &mut body)
                .map_err(|e| Error::internal_server("CODEC", e.to_string()))?;
            Ok::<_, Error>(kratos::http::response(
                status,
                codec.content_type().clone(),
                body,
            ))
        }
    };
    let (yaml, proto) = (always("yaml"), always("proto"));
    let server = HttpServer::new()
        .reply_encoder(move |_, status, reply| yaml(status, reply))
        .error_encoder(move |_, error| {
            let status = http::StatusCode::from_u16(error.http_status()).unwrap();
            proto(status, error).unwrap()
        });
    let (_app, url) = start_with(server).await;
    let client = StoreClient::http(&url).unwrap();

    let reply = client
        .get(Item {
            name: "lamp".into(),
            tags: vec!["x".into()],
            ..Item::default()
        })
        .await
        .expect("a YAML reply decodes");
    assert_eq!(
        (reply.name.as_str(), reply.tags.as_slice()),
        ("lamp", &["x".to_owned()][..])
    );

    let error = client
        .get(Item {
            name: "missing".into(),
            ..Item::default()
        })
        .await
        .expect_err("a protobuf error decodes");
    assert_eq!((error.code, error.reason.as_str()), (404, "ITEM_NOT_FOUND"));
    assert_eq!(error.metadata["name"], "missing");
}
