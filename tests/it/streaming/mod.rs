//! Streaming methods in one process, over real sockets, on a `Ticker` service of
//! this module: every shape on both transports with our clients (`shapes`), the
//! bytes of SSE, NDJSON and the OpenAPI document (`wire`), middleware around whole
//! streams on servers and clients (`middleware`), and cancellation, the idle and
//! open timeouts, the body read timeout and a graceful stop (`lifecycle`). (The
//! example binary and peers we did not write are in `example_stream`.)

mod lifecycle;
mod middleware;
mod shapes;
mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kratos::http::ConnectionConfig;
use kratos::prelude::*;
use kratos::stream::StreamSummary;
use kratos::{RunningApp, Streaming};
use tokio::sync::Notify;

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
pub struct Seen {
    /// Notified when a producer finds its reader gone.
    pub cancelled: Notify,
}

pub struct TickerImpl {
    pub seen: Arc<Seen>,
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
        // Propagated metadata first (a server with `metadata::server()`), else a header.
        let who = ctx
            .metadata()
            .get("x-md-global-who")
            .or(ctx.request_header("x-who"))
            .unwrap_or("")
            .to_owned();
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
pub struct Ended {
    pub operation: String,
    pub code: i32,
    pub summary: Option<StreamSummary>,
}

/// Records every call's end.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Ended>>>);

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

pub struct Fixture {
    pub app: RunningApp,
    pub seen: Arc<Seen>,
    pub recorder: Recorder,
}

impl Fixture {
    pub fn http(&self) -> String {
        self.app.endpoint("http").unwrap().to_owned()
    }

    pub fn grpc(&self) -> String {
        self.app
            .endpoint("grpc")
            .unwrap()
            .replacen("grpc://", "http://", 1)
    }

    pub fn clients(&self) -> [(&'static str, TickerClient); 2] {
        [
            ("http", TickerClient::http(&self.http()).unwrap()),
            ("grpc", TickerClient::grpc(&self.grpc()).unwrap()),
        ]
    }

    /// The ends recorded for `operation` so far.
    pub fn ended(&self, operation: &str) -> Vec<Ended> {
        let all = self.recorder.0.lock().unwrap();
        all.iter()
            .filter(|e| e.operation == operation)
            .cloned()
            .collect()
    }
}

pub async fn start_with(timeout: Duration, idle: Duration) -> Fixture {
    start_configured(timeout, idle, ConnectionConfig::default()).await
}

pub async fn start_configured(
    timeout: Duration,
    idle: Duration,
    limits: ConnectionConfig,
) -> Fixture {
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
pub fn with_openapi(http: HttpServer) -> HttpServer {
    http.openapi("/q/openapi.json", "ticker", "v1")
}

#[cfg(not(feature = "openapi"))]
pub fn with_openapi(http: HttpServer) -> HttpServer {
    http
}

pub async fn start() -> Fixture {
    start_with(Duration::from_secs(1), Duration::ZERO).await
}

/// Every message of a stream, then its end (`Err` when it ended with an error).
pub async fn drain<T>(mut stream: Streaming<T>) -> (Vec<T>, Result<(), Error>) {
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
pub fn caller() -> Context {
    Context::new(kratos::Kind::Http, "test", http::HeaderMap::new())
}

pub fn ticks(count: i32) -> TickRequest {
    TickRequest {
        count,
        ..TickRequest::default()
    }
}

pub fn words(texts: &[&str]) -> Streaming<Word> {
    let words: Vec<Word> = texts
        .iter()
        .map(|t| Word {
            text: (*t).to_owned(),
        })
        .collect();
    Streaming::iter(words)
}
