//! Declarative validation: `#[rule(..)]` on message fields is checked before the
//! handler on both transports with no middleware configured. Every rule kind
//! accepts a valid request and refuses a request that breaks it, over HTTP and
//! gRPC through the generated clients, with the 400 `VALIDATOR` error naming the
//! field path and protovalidate's rule id, and every violation in the metadata.

use std::collections::HashMap;

use kratos::prelude::*;

use crate::common::{grpc_url, http_url};

#[kratos::message]
pub struct Place {
    #[rule(len(1..=8))]
    pub city: String,
}

#[kratos::message]
pub enum Reach {
    Mail(String),
    Home(Place),
}

#[kratos::message]
pub struct Rules {
    #[rule(len(1..=4))]
    pub name: String,
    #[rule(min_len = 2, max_len = 3)]
    pub code: String,
    #[rule(min_bytes = 2, max_bytes = 4)]
    pub raw: String,
    #[rule(pattern = "^[a-z]+$")]
    pub slug: String,
    #[rule(prefix = "v", suffix = "x", contains = "1")]
    pub version: String,
    #[rule(not_contains = "admin")]
    pub login: String,
    #[rule(email)]
    pub email: String,
    #[rule(uri)]
    pub site: String,
    #[rule(uuid)]
    pub id: String,
    #[rule(ip)]
    pub ip: String,
    #[rule(ipv4)]
    pub v4: String,
    #[rule(ipv6)]
    pub v6: String,
    #[rule(gt = 0, lt = 10)]
    pub small: i32,
    #[rule(gte = 1)]
    pub count: u64,
    #[rule(lte = 1.5)]
    pub ratio: f64,
    #[rule(in = ["red", "green"])]
    pub color: String,
    #[rule(not_in = [0, 13])]
    pub lucky: i64,
    #[rule(len(2))]
    pub blob: Vec<u8>,
    #[rule(required)]
    pub place: Option<Place>,
    #[rule(required)]
    pub reach: Option<Reach>,
    #[rule(min_items = 1, max_items = 3, unique, items(len(1..)))]
    pub tags: Vec<String>,
    #[rule(min_pairs = 1, max_pairs = 2, keys(len(..=3)), values(gte = 0))]
    pub labels: HashMap<String, i32>,
    #[rule(len(1..))]
    pub nickname: Option<String>,
    /// No rules of its own: its messages are checked by theirs.
    pub stops: Vec<Place>,
}

#[kratos::message]
pub struct Checked {}

#[kratos::service(package = "rules.v1")]
pub trait RuleCheck {
    #[route(post = "/v1/check", body = "*")]
    async fn check(&self, req: Rules) -> kratos::Result<Checked>;
}

struct Accept;

impl RuleCheck for Accept {
    async fn check(&self, _req: Rules) -> kratos::Result<Checked> {
        Ok(Checked {})
    }
}

pub(crate) fn valid() -> Rules {
    Rules {
        name: "ab".into(),
        code: "abc".into(),
        raw: "é".into(),
        slug: "kratos".into(),
        version: "v1x".into(),
        login: "bob".into(),
        email: "bob@example.com".into(),
        site: "https://example.com/a".into(),
        id: "123e4567-e89b-12d3-a456-426614174000".into(),
        ip: "::1".into(),
        v4: "10.0.0.1".into(),
        v6: "fe80::1".into(),
        small: 5,
        count: 1,
        ratio: 1.5,
        color: "red".into(),
        lucky: 7,
        blob: vec![1, 2],
        place: Some(Place {
            city: "Rome".into(),
        }),
        reach: Some(Reach::Mail("x".into())),
        tags: vec!["a".into(), "b".into()],
        labels: HashMap::from([("env".to_owned(), 0)]),
        nickname: None,
        stops: vec![Place {
            city: "Oslo".into(),
        }],
    }
}

pub(crate) type Breaker = fn(&mut Rules);

/// One broken rule each: what to change, the field path and the rule id.
pub(crate) fn cases() -> Vec<(Breaker, &'static str, &'static str)> {
    vec![
        (|r| r.name.clear(), "name", "string.min_len"),
        (|r| r.name = "ééééé".into(), "name", "string.max_len"),
        (|r| r.code = "a".into(), "code", "string.min_len"),
        (|r| r.code = "abcd".into(), "code", "string.max_len"),
        (|r| r.raw = "a".into(), "raw", "string.min_bytes"),
        (|r| r.raw = "ééé".into(), "raw", "string.max_bytes"),
        (|r| r.slug = "Kratos".into(), "slug", "string.pattern"),
        (|r| r.version = "1x".into(), "version", "string.prefix"),
        (|r| r.version = "v1".into(), "version", "string.suffix"),
        (|r| r.version = "v2x".into(), "version", "string.contains"),
        (
            |r| r.login = "admin7".into(),
            "login",
            "string.not_contains",
        ),
        (|r| r.email = "bob".into(), "email", "string.email"),
        (|r| r.site = "/relative".into(), "site", "string.uri"),
        (|r| r.id = "123".into(), "id", "string.uuid"),
        (|r| r.ip = "10.0.0".into(), "ip", "string.ip"),
        (|r| r.v4 = "::1".into(), "v4", "string.ipv4"),
        (|r| r.v6 = "10.0.0.1".into(), "v6", "string.ipv6"),
        (|r| r.small = 0, "small", "int32.gt_lt"),
        (|r| r.small = 10, "small", "int32.gt_lt"),
        (|r| r.count = 0, "count", "uint64.gte"),
        (|r| r.ratio = 1.6, "ratio", "double.lte"),
        (|r| r.color = "blue".into(), "color", "string.in"),
        (|r| r.lucky = 13, "lucky", "int64.not_in"),
        (|r| r.blob = vec![1], "blob", "bytes.len"),
        (|r| r.place = None, "place", "required"),
        (|r| r.reach = None, "reach", "required"),
        (
            |r| r.place = Some(Place { city: "".into() }),
            "place.city",
            "string.min_len",
        ),
        (
            |r| {
                r.reach = Some(Reach::Home(Place {
                    city: "Amsterdam".into(),
                }))
            },
            "home.city",
            "string.max_len",
        ),
        (|r| r.tags.clear(), "tags", "repeated.min_items"),
        (
            |r| r.tags = vec!["a".into(), "b".into(), "c".into(), "d".into()],
            "tags",
            "repeated.max_items",
        ),
        (
            |r| r.tags = vec!["a".into(), "a".into()],
            "tags",
            "repeated.unique",
        ),
        (
            |r| r.tags = vec!["a".into(), "".into()],
            "tags[1]",
            "string.min_len",
        ),
        (|r| r.labels.clear(), "labels", "map.min_pairs"),
        (
            |r| r.labels = HashMap::from([("a".into(), 1), ("b".into(), 1), ("c".into(), 1)]),
            "labels",
            "map.max_pairs",
        ),
        (
            |r| r.labels = HashMap::from([("long".into(), 1)]),
            "labels[\"long\"]",
            "string.max_len",
        ),
        (
            |r| r.labels = HashMap::from([("env".into(), -1)]),
            "labels[\"env\"]",
            "int32.gte",
        ),
        (
            |r| r.nickname = Some("".into()),
            "nickname",
            "string.min_len",
        ),
        (
            |r| {
                r.stops = vec![
                    Place {
                        city: "Rome".into(),
                    },
                    Place { city: "".into() },
                ]
            },
            "stops[1].city",
            "string.min_len",
        ),
    ]
}

async fn start() -> kratos::RunningApp {
    App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(RuleCheckServer::new(Accept))
        .build()
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_rule_accepts_a_valid_value_and_refuses_a_broken_one_over_both_transports() {
    let mut app = start().await;
    let clients = [
        ("http", RuleCheckClient::http(&http_url(&app)).unwrap()),
        ("grpc", RuleCheckClient::grpc(&grpc_url(&app)).unwrap()),
    ];
    for (transport, client) in &clients {
        let mut set_nickname = valid();
        set_nickname.nickname = Some("k".into());
        for request in [valid(), set_nickname] {
            client
                .check(request)
                .await
                .unwrap_or_else(|e| panic!("{transport}: a valid request was refused: {e}"));
        }
        for (breaker, field, rule) in cases() {
            let mut request = valid();
            breaker(&mut request);
            let error = client
                .check(request)
                .await
                .expect_err(&format!("{transport}: {field} {rule} was accepted"));
            assert_eq!(
                (error.code, error.reason.as_str()),
                (400, "VALIDATOR"),
                "{transport} {field} {rule}: {error}"
            );
            assert_eq!(
                error.metadata.get("violations.0.field").map(String::as_str),
                Some(field),
                "{transport}: {error}"
            );
            assert_eq!(
                error.metadata.get("violations.0.rule").map(String::as_str),
                Some(rule),
                "{transport}: {error}"
            );
            assert!(
                error.message.starts_with(&format!("{field}: "))
                    && error.message.contains(&format!("[{rule}]")),
                "{transport}: {}",
                error.message
            );
            assert!(
                !error.metadata.contains_key("violations.1.field"),
                "{error}"
            );
        }
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn every_violation_is_reported_with_protovalidate_wording() {
    let mut app = start().await;
    let client = RuleCheckClient::http(&http_url(&app)).unwrap();
    let mut request = valid();
    request.name.clear();
    request.small = 10;
    request.place = None;
    let error = client.check(request).await.unwrap_err();
    assert_eq!(
        error.message,
        "name: value length must be at least 1 characters [string.min_len]; \
         small: value must be greater than 0 and less than 10 [int32.gt_lt]; \
         place: value is required [required]"
    );
    let expected = [
        (
            "0",
            "name",
            "string.min_len",
            "value length must be at least 1 characters",
        ),
        (
            "1",
            "small",
            "int32.gt_lt",
            "value must be greater than 0 and less than 10",
        ),
        ("2", "place", "required", "value is required"),
    ];
    for (i, field, rule, message) in expected {
        assert_eq!(error.metadata[&format!("violations.{i}.field")], field);
        assert_eq!(error.metadata[&format!("violations.{i}.rule")], rule);
        assert_eq!(error.metadata[&format!("violations.{i}.message")], message);
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_raw_http_request_breaking_a_rule_gets_the_kratos_error_body() {
    let mut app = start().await;
    let mut body = serde_json::to_value(valid()).unwrap();
    body["email"] = "nobody".into();
    let answer = crate::curl::send(
        "POST",
        &format!("{}/v1/check", http_url(&app)),
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await;
    crate::curl::assert_error(&answer, 400, "VALIDATOR");
    let json = answer.json();
    assert_eq!(
        json["message"],
        "email: value must be a valid email address [string.email]"
    );
    assert_eq!(json["metadata"]["violations.0.field"], "email");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn helloworld_refuses_a_name_longer_than_64_characters() {
    let conf = crate::process::config_dir("");
    let app = crate::process::start("helloworld", conf.path());
    let ok = crate::curl::get(&format!(
        "http://{}/helloworld/{}",
        app.http,
        "k".repeat(64)
    ))
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let long = crate::curl::get(&format!(
        "http://{}/helloworld/{}",
        app.http,
        "k".repeat(65)
    ))
    .await;
    crate::curl::assert_error(&long, 400, "VALIDATOR");
    assert_eq!(
        long.json()["message"],
        "name: value length must be at most 64 characters [string.max_len]"
    );
}

#[kratos::message]
pub struct CountRequest {
    #[rule(gt = 0, lte = 10)]
    pub from: i32,
}

#[kratos::message]
pub struct Tick {
    pub n: i32,
}

#[kratos::service(package = "rules.v1")]
pub trait Countdown {
    #[route(post = "/v1/count", body = "*")]
    async fn count(&self, req: CountRequest) -> kratos::Result<kratos::Streaming<Tick>>;

    #[route(get = "/v1/total")]
    async fn total(&self, req: kratos::Streaming<CountRequest>) -> kratos::Result<Tick>;
}

struct Counter;

impl Countdown for Counter {
    async fn count(&self, req: CountRequest) -> kratos::Result<kratos::Streaming<Tick>> {
        Ok(kratos::Streaming::iter(
            (0..req.from).rev().map(|n| Tick { n }),
        ))
    }

    async fn total(&self, mut req: kratos::Streaming<CountRequest>) -> kratos::Result<Tick> {
        let mut n = 0;
        while let Some(item) = req.message().await? {
            n += item.from;
        }
        Ok(Tick { n })
    }
}

/// The error of a server stream, whether it comes at the call or as the stream's end.
async fn stream_error(client: &CountdownClient, from: i32) -> kratos::Error {
    match client.count(CountRequest { from }).await {
        Err(error) => error,
        Ok(mut ticks) => loop {
            match ticks.message().await {
                Err(error) => break error,
                Ok(None) => panic!("from = {from} was accepted"),
                Ok(Some(_)) => {}
            }
        },
    }
}

#[tokio::test]
async fn stream_requests_are_checked_before_the_handler_sees_them_on_both_transports() {
    let mut app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(CountdownServer::new(Counter))
        .build()
        .start()
        .await
        .unwrap();
    let clients = [
        ("http", CountdownClient::http(&http_url(&app)).unwrap()),
        ("grpc", CountdownClient::grpc(&grpc_url(&app)).unwrap()),
    ];
    for (transport, client) in &clients {
        let mut ticks = client.count(CountRequest { from: 3 }).await.unwrap();
        let mut seen = Vec::new();
        while let Some(tick) = ticks.message().await.unwrap() {
            seen.push(tick.n);
        }
        assert_eq!(seen, [2, 1, 0], "{transport}");
        let items = |froms: Vec<i32>| {
            kratos::Streaming::iter(froms.into_iter().map(|from| CountRequest { from }))
        };
        let sum = client.total(items(vec![1, 2, 3])).await.unwrap();
        assert_eq!(sum.n, 6, "{transport}");
        let error = client.total(items(vec![1, 20, 3])).await.unwrap_err();
        // The message names the item's field; a WebSocket close frame carries no
        // metadata, so the violations list is asserted on the other calls.
        assert_eq!(
            (error.code, error.reason.as_str(), error.message.as_str()),
            (
                400,
                "VALIDATOR",
                "from: value must be greater than 0 and less than or equal to 10 [int32.gt_lte]"
            ),
            "{transport} client stream"
        );
        for from in [0, 11] {
            let error = stream_error(client, from).await;
            assert_eq!(
                (
                    error.code,
                    error.reason.as_str(),
                    error.metadata.get("violations.0.rule").map(String::as_str)
                ),
                (400, "VALIDATOR", Some("int32.gt_lte")),
                "{transport} from = {from}: {error}"
            );
        }
    }
    app.stop().await.unwrap();
}
