//! Streaming methods in one process, over real sockets: every shape on both
//! transports with our clients, the bytes of SSE and NDJSON on the wire,
//! middleware around whole streams, errors mid-stream, cancellation, the idle and
//! open timeouts, and a graceful stop with streams open. (The example binary and
//! peers we did not write are in `example_stream`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kratos::http::ConnectionConfig;
use kratos::prelude::*;
use kratos::stream::StreamSummary;
use kratos::{RunningApp, Streaming};
use tokio::sync::Notify;

use crate::curl;

#[kratos::message]
pub struct TickRequest {
    /// Ticks count down from here to 1.
    pub count: i32,
    /// The stream fails with 409 `AT` when it reaches this tick (0: never).
    pub fail_at: i32,
    /// After the ticks, the stream stays open without sending.
    pub stall: bool,
    /// The handler waits this long before returning its stream.
    pub open_delay_ms: u64,
}

#[kratos::message]
pub struct Tick {
    pub n: i32,
}

#[kratos::message]
pub struct Num {
    pub n: i64,
}

#[kratos::message]
pub struct Sum {
    pub sum: i64,
    pub count: i64,
}

#[kratos::message]
pub struct Word {
    pub text: String,
}

#[kratos::service(package = "streamtest.v1")]
pub trait Ticker {
    #[route(get = "/v1/ticks/{count}")]
    async fn ticks(&self, req: TickRequest) -> kratos::Result<Streaming<Tick>>;
    #[route(get = "/v1/add")]
    async fn add(&self, req: Streaming<Num>) -> kratos::Result<Sum>;
    #[route(get = "/v1/mirror")]
    async fn mirror(&self, ctx: &Context, req: Streaming<Word>) -> kratos::Result<Streaming<Word>>;
}

/// What the handlers report to the test.
#[derive(Default)]
struct Seen {
    /// Notified when a producer finds its reader gone.
    cancelled: Notify,
}

struct TickerImpl {
    seen: Arc<Seen>,
}

impl Ticker for TickerImpl {
    async fn ticks(&self, req: TickRequest) -> kratos::Result<Streaming<Tick>> {
        if req.count < 0 {
            return Err(Error::bad_request("NEGATIVE", "count is negative"));
        }
        tokio::time::sleep(Duration::from_millis(req.open_delay_ms)).await;
        let (tx, ticks) = Streaming::channel(1);
        let seen = self.seen.clone();
        tokio::spawn(async move {
            for n in (1..=req.count).rev() {
                if n == req.fail_at {
                    let _ = tx
                        .fail(Error::conflict("AT", format!("failed at {n}")))
                        .await;
                    return;
                }
                if tx.send(Tick { n }).await.is_err() {
                    seen.cancelled.notify_one();
                    return;
                }
            }
            if req.stall {
                tx.closed().await;
                seen.cancelled.notify_one();
            }
        });
        Ok(ticks)
    }

    async fn add(&self, mut req: Streaming<Num>) -> kratos::Result<Sum> {
        let (mut sum, mut count) = (0, 0);
        while let Some(num) = req.message().await? {
            sum += num.n;
            count += 1;
        }
        Ok(Sum { sum, count })
    }

    async fn mirror(
        &self,
        ctx: &Context,
        mut req: Streaming<Word>,
    ) -> kratos::Result<Streaming<Word>> {
        let who = ctx.request_header("x-who").unwrap_or("").to_owned();
        let (tx, words) = Streaming::channel(1);
        tokio::spawn(async move {
            loop {
                match req.message().await {
                    Ok(Some(word)) if word.text == "fail" => {
                        let _ = tx.fail(Error::bad_request("FAIL", "asked to fail")).await;
                        return;
                    }
                    Ok(Some(word)) => {
                        let text = format!("{who}{}", word.text);
                        if tx.send(Word { text }).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(error) => {
                        let _ = tx.fail(error).await;
                        return;
                    }
                }
            }
        });
        Ok(words)
    }
}

/// One stream as a middleware saw it end.
#[derive(Debug, Clone, PartialEq)]
struct Ended {
    operation: String,
    code: i32,
    summary: Option<StreamSummary>,
}

/// Records every call's end.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Ended>>>);

#[kratos::middleware]
impl Middleware for Recorder {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        let result = next.run(ctx, req).await;
        let (code, summary) = match &result {
            Ok(reply) => (200, reply.downcast_ref::<StreamSummary>().copied()),
            Err(error) => (error.code, None),
        };
        self.0.lock().unwrap().push(Ended {
            operation: ctx.operation().to_owned(),
            code,
            summary,
        });
        result
    }
}

struct Fixture {
    app: RunningApp,
    seen: Arc<Seen>,
    recorder: Recorder,
}

impl Fixture {
    fn http(&self) -> String {
        self.app.endpoint("http").unwrap().to_owned()
    }

    fn grpc(&self) -> String {
        self.app
            .endpoint("grpc")
            .unwrap()
            .replacen("grpc://", "http://", 1)
    }

    fn clients(&self) -> [(&'static str, TickerClient); 2] {
        [
            ("http", TickerClient::http(&self.http()).unwrap()),
            ("grpc", TickerClient::grpc(&self.grpc()).unwrap()),
        ]
    }

    /// The ends recorded for `operation` so far.
    fn ended(&self, operation: &str) -> Vec<Ended> {
        let all = self.recorder.0.lock().unwrap();
        all.iter()
            .filter(|e| e.operation == operation)
            .cloned()
            .collect()
    }
}

async fn start_with(timeout: Duration, idle: Duration) -> Fixture {
    start_configured(timeout, idle, ConnectionConfig::default()).await
}

async fn start_configured(timeout: Duration, idle: Duration, limits: ConnectionConfig) -> Fixture {
    let seen = Arc::new(Seen::default());
    let recorder = Recorder::default();
    let mut http = kratos::config::HttpConfig::default();
    http.addr = "127.0.0.1:0".into();
    http.timeout = timeout;
    http.stream_idle_timeout = idle;
    http.connection = limits.clone();
    let mut grpc = kratos::config::GrpcConfig::default();
    grpc.addr = "127.0.0.1:0".into();
    grpc.timeout = timeout;
    grpc.stream_idle_timeout = idle;
    grpc.connection = limits;
    let app = App::builder()
        .handle_signals(false)
        .stop_timeout(Duration::from_secs(10))
        .server(with_openapi(HttpServer::from_config(http)).middleware(recorder.clone()))
        .server(GrpcServer::from_config(grpc).middleware(recorder.clone()))
        .service(TickerServer::new(TickerImpl { seen: seen.clone() }))
        .build()
        .start()
        .await
        .expect("the app starts");
    Fixture {
        app,
        seen,
        recorder,
    }
}

#[cfg(feature = "openapi")]
fn with_openapi(http: HttpServer) -> HttpServer {
    http.openapi("/q/openapi.json", "ticker", "v1")
}

#[cfg(not(feature = "openapi"))]
fn with_openapi(http: HttpServer) -> HttpServer {
    http
}

async fn start() -> Fixture {
    start_with(Duration::from_secs(1), Duration::ZERO).await
}

/// Every message of a stream, then its end (`Err` when it ended with an error).
async fn drain<T>(mut stream: Streaming<T>) -> (Vec<T>, Result<(), Error>) {
    let mut items = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return (items, Ok(())),
            Err(error) => return (items, Err(error)),
        }
    }
}

/// The context a caller passes to a method that takes one.
fn caller() -> Context {
    Context::new(kratos::Kind::Http, "test", http::HeaderMap::new())
}

fn ticks(count: i32) -> TickRequest {
    TickRequest {
        count,
        ..TickRequest::default()
    }
}

fn words(texts: &[&str]) -> Streaming<Word> {
    let words: Vec<Word> = texts
        .iter()
        .map(|t| Word {
            text: (*t).to_owned(),
        })
        .collect();
    Streaming::iter(words)
}

#[tokio::test]
async fn every_shape_on_both_transports_with_our_clients() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let (got, end) = drain(client.ticks(ticks(3)).await.unwrap()).await;
        assert_eq!(
            got.iter().map(|t| t.n).collect::<Vec<_>>(),
            [3, 2, 1],
            "{transport}"
        );
        end.unwrap();

        let nums = Streaming::iter((1..=4).map(|n| Num { n }));
        let sum = client.add(nums).await.unwrap();
        assert_eq!((sum.sum, sum.count), (10, 4), "{transport}");

        let (got, end) = drain(
            client
                .mirror(&caller(), words(&["a", "b", "c"]))
                .await
                .unwrap(),
        )
        .await;
        end.unwrap();
        assert_eq!(
            got.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn an_error_mid_stream_reaches_the_client_after_the_messages_before_it() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let request = TickRequest {
            count: 5,
            fail_at: 3,
            ..TickRequest::default()
        };
        let (got, end) = drain(client.ticks(request).await.unwrap()).await;
        assert_eq!(
            got.iter().map(|t| t.n).collect::<Vec<_>>(),
            [5, 4],
            "{transport}"
        );
        let error = end.unwrap_err();
        assert_eq!(error.code, 409, "{transport}: {error:?}");
        if transport == "grpc" {
            assert_eq!(error.reason, "AT");
        }
        assert_eq!(error.message, "failed at 3", "{transport}");

        let (got, end) = drain(
            client
                .mirror(&caller(), words(&["x", "fail", "y"]))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got.len(), 1, "{transport}: {got:?}");
        assert!(
            end.unwrap_err().message.contains("asked to fail"),
            "{transport}"
        );
    }
}

#[tokio::test]
async fn an_error_before_the_stream_opens_is_a_plain_error() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let error = client.ticks(ticks(-1)).await.unwrap_err();
        assert_eq!(
            (error.code, error.reason.as_str()),
            (400, "NEGATIVE"),
            "{transport}"
        );
    }
    let answer = curl::get(&format!("{}/v1/ticks/-1", f.http())).await;
    curl::assert_error(&answer, 400, "NEGATIVE");
}

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
async fn middleware_runs_once_per_stream_and_sees_its_end() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let before = f.ended("/streamtest.v1.Ticker/Ticks").len();
        drain(client.ticks(ticks(4)).await.unwrap())
            .await
            .1
            .unwrap();
        let request = TickRequest {
            count: 3,
            fail_at: 1,
            ..TickRequest::default()
        };
        let _ = drain(client.ticks(request).await.unwrap()).await;
        client
            .add(Streaming::iter((0..7).map(|n| Num { n })))
            .await
            .unwrap();
        let ticks = f.ended("/streamtest.v1.Ticker/Ticks");
        assert_eq!(
            ticks.len(),
            before + 2,
            "{transport}: once per stream: {ticks:?}"
        );
        let summary = ticks[before].summary.expect("a StreamSummary at the end");
        assert_eq!((summary.received, summary.sent), (1, 4), "{transport}");
        assert_eq!(ticks[before + 1].code, 409, "{transport}");
        let add = f.ended("/streamtest.v1.Ticker/Add");
        let summary = add.last().unwrap().summary.unwrap();
        assert_eq!((summary.received, summary.sent), (7, 1), "{transport}");
    }
}

#[tokio::test]
async fn metadata_reaches_the_handler_of_a_stream() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let client = client.middleware(SetHeader);
        let (got, _) = drain(client.mirror(&caller(), words(&["hi"])).await.unwrap()).await;
        assert_eq!(got[0].text, "me:hi", "{transport}");
    }
}

/// Sends `x-who: me:` with every call.
struct SetHeader;

#[kratos::middleware]
impl Middleware for SetHeader {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        ctx.request_headers_mut()
            .insert("x-who", http::HeaderValue::from_static("me:"));
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn a_client_that_goes_away_ends_the_handlers_stream() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let mut stream = client.ticks(ticks(1_000_000)).await.unwrap();
        assert!(stream.message().await.unwrap().is_some(), "{transport}");
        drop(stream);
        // The producer finds its reader gone: it is notified, or this test hangs.
        f.seen.cancelled.notified().await;
    }
}

#[tokio::test]
async fn a_stalled_stream_ends_at_the_idle_timeout() {
    let f = start_with(Duration::from_secs(1), Duration::from_millis(200)).await;
    for (transport, client) in f.clients() {
        let request = TickRequest {
            count: 1,
            stall: true,
            ..TickRequest::default()
        };
        let (got, end) = drain(client.ticks(request).await.unwrap()).await;
        assert_eq!(got.len(), 1, "{transport}");
        let error = end.unwrap_err();
        assert_eq!(error.code, 504, "{transport}: {error:?}");
    }
}

#[tokio::test]
async fn the_server_timeout_bounds_the_opening_not_the_life() {
    let f = start_with(Duration::from_millis(300), Duration::ZERO).await;
    for (transport, client) in f.clients() {
        let slow = TickRequest {
            count: 1,
            open_delay_ms: 5_000,
            ..TickRequest::default()
        };
        let error = client.ticks(slow).await.unwrap_err();
        assert_eq!(error.code, 504, "{transport}: {error:?}");
        // A stream that opened in time runs past the timeout: its messages are
        // read after a wait longer than the server timeout.
        let mut stream = client.ticks(ticks(2)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let (got, end) = drain(std::mem::replace(&mut stream, Streaming::empty())).await;
        end.unwrap();
        assert_eq!(got.len(), 2, "{transport}");
    }
}

#[tokio::test]
async fn a_stopping_server_ends_its_open_streams_cleanly() {
    let f = start().await;
    let [(_, http), (_, grpc)] = f.clients();
    let request = TickRequest {
        count: 1,
        stall: true,
        ..TickRequest::default()
    };
    let mut over_http = http.ticks(request.clone()).await.unwrap();
    let mut over_grpc = grpc.ticks(request).await.unwrap();
    assert!(over_http.message().await.unwrap().is_some());
    assert!(over_grpc.message().await.unwrap().is_some());
    // A bidi stream over a WebSocket whose client never half-closes.
    let (tx, words) = Streaming::channel(1);
    tx.send(Word { text: "w".into() }).await.unwrap();
    let mut over_ws = http.mirror(&caller(), words).await.unwrap();
    assert!(over_ws.message().await.unwrap().is_some());
    let mut app = f.app;
    let stop = tokio::spawn(async move { app.stop().await });
    assert!(
        matches!(over_http.message().await, Ok(None)),
        "SSE: a clean end"
    );
    assert!(
        matches!(over_grpc.message().await, Ok(None)),
        "gRPC: a clean end"
    );
    assert!(
        matches!(over_ws.message().await, Ok(None)),
        "WebSocket: close 1000"
    );
    drop(tx);
    stop.await.unwrap().unwrap();
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

#[tokio::test]
async fn a_grpc_client_stream_outlives_the_body_read_timeout() {
    let mut limits = ConnectionConfig::default();
    limits.body_read_timeout = Duration::from_millis(200);
    let f = start_configured(Duration::from_secs(1), Duration::ZERO, limits).await;
    let client = TickerClient::grpc(&f.grpc()).unwrap();
    // The requests trickle in for longer than the body read timeout, which is for
    // unary bodies: the stream is not cut.
    let (tx, nums) = Streaming::channel(1);
    let sending = tokio::spawn(async move {
        for n in 1..=3 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            tx.send(Num { n }).await.unwrap();
        }
    });
    let sum = client.add(nums).await.unwrap();
    sending.await.unwrap();
    assert_eq!((sum.sum, sum.count), (6, 3));
}

/// Refuses every call without `authorization`.
struct NeedsToken;

#[kratos::middleware]
impl Middleware for NeedsToken {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        if ctx.request_header("authorization").is_none() {
            return Err(Error::unauthorized("NO_TOKEN", "missing token"));
        }
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn a_middleware_refusal_of_a_websocket_is_an_http_answer() {
    let app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .middleware(NeedsToken),
        )
        .service(TickerServer::new(TickerImpl {
            seen: Arc::new(Seen::default()),
        }))
        .build()
        .start()
        .await
        .unwrap();
    let client = TickerClient::http(app.endpoint("http").unwrap()).unwrap();
    let error = client.mirror(&caller(), words(&["a"])).await.unwrap_err();
    assert_eq!((error.code, error.reason.as_str()), (401, "NO_TOKEN"));
    let client = client.middleware(Token);
    let (got, end) = drain(client.mirror(&caller(), words(&["a"])).await.unwrap()).await;
    end.unwrap();
    assert_eq!(got.len(), 1);
}

/// Sends a token.
struct Token;

#[kratos::middleware]
impl Middleware for Token {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        ctx.request_headers_mut()
            .insert("authorization", http::HeaderValue::from_static("Bearer t"));
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn a_client_middleware_sees_the_whole_stream_too() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let recorder = Recorder::default();
        let client = client.middleware(recorder.clone());
        drain(client.ticks(ticks(3)).await.unwrap())
            .await
            .1
            .unwrap();
        client
            .add(Streaming::iter((0..7).map(|n| Num { n })))
            .await
            .unwrap();
        let failing = TickRequest {
            count: 4,
            fail_at: 2,
            ..TickRequest::default()
        };
        let _ = drain(client.ticks(failing).await.unwrap()).await;
        let ended = recorder.0.lock().unwrap().clone();
        assert_eq!(ended.len(), 3, "{transport}: once per stream: {ended:?}");
        // A client reads replies and writes requests.
        assert_eq!(
            ended[0].summary,
            Some(StreamSummary::new(3, 1)),
            "{transport}"
        );
        assert_eq!(
            ended[1].summary,
            Some(StreamSummary::new(1, 7)),
            "{transport}"
        );
        assert_eq!(ended[2].code, 409, "{transport}: {:?}", ended[2]);
    }
}
