//! The middleware model over real sockets: one chain for both transports, on
//! servers, services, methods, clients and hand-written routes; metadata across
//! three services; the built-ins.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kratos::middleware::{logging, metadata, recovery, selector, validate};
use kratos::prelude::*;
use kratos::{Metadata, RunningApp};
use tracing_subscriber::util::SubscriberInitExt;

use crate::common::grpc_url;
use crate::curl::send;

/// The header of a JSON body, for the raw HTTP calls.
const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

#[kratos::message]
pub struct Ping {
    pub text: String,
}

#[kratos::message]
pub struct Pong {
    pub text: String,
    pub seen: Vec<String>,
    pub remaining_ms: u64,
}

impl kratos::Validate for Ping {
    fn validate(&self) -> Result<(), String> {
        if self.text.len() > 10 {
            return Err(format!("text is {} bytes, at most 10", self.text.len()));
        }
        Ok(())
    }
}

/// Appends its name to the `x-trail` reply header, to show the order of a chain.
#[derive(Clone)]
pub struct Trail(&'static str);

#[kratos::middleware]
impl Middleware for Trail {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        let trail = match ctx.extensions().get::<Vec<&'static str>>() {
            Some(trail) => [trail.as_slice(), &[self.0]].concat(),
            None => vec![self.0],
        };
        ctx.set_reply_header("x-trail", &trail.join(","))?;
        ctx.extensions_mut().insert(trail);
        next.run(ctx, req).await
    }
}

/// Used by `#[middleware(method_trail)]` below.
#[kratos::middleware]
pub async fn method_trail(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    let mut trail = ctx
        .extensions()
        .get::<Vec<&'static str>>()
        .cloned()
        .unwrap_or_default();
    trail.push("method");
    ctx.set_reply_header("x-trail", &trail.join(","))?;
    next.run(ctx, req).await
}

/// Refuses any request whose text is "forbidden", before the handler runs.
#[kratos::middleware]
pub async fn gate(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    if req
        .downcast_ref::<Ping>()
        .is_some_and(|p| p.text == "forbidden")
    {
        return Err(Error::forbidden(
            "GATE_CLOSED",
            format!("{} refused", ctx.operation()),
        ));
    }
    next.run(ctx, req).await
}

/// Installed on every `#[kratos::main]` server; marks replies.
#[kratos::middleware(global, order = 5)]
pub async fn global_mark(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    ctx.set_reply_header("x-global", "yes")?;
    next.run(ctx, req).await
}

#[kratos::service(package = "mw.v1")]
pub trait Echo {
    #[route(post = "/v1/echo", body = "*")]
    async fn echo(&self, ctx: &Context, req: Ping) -> kratos::Result<Pong>;

    #[route(post = "/v1/trail", body = "*")]
    #[middleware(method_trail)]
    async fn trail(&self, req: Ping) -> kratos::Result<Pong>;

    #[route(post = "/v1/panic", body = "*")]
    async fn panic(&self, req: Ping) -> kratos::Result<Pong>;
}

#[derive(Default)]
pub struct EchoImpl {
    calls: Arc<AtomicUsize>,
}

impl Echo for EchoImpl {
    async fn echo(&self, ctx: &Context, req: Ping) -> kratos::Result<Pong> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut seen: Vec<String> = ctx
            .metadata()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.join("|")))
            .collect();
        seen.push(format!("kind={}", ctx.kind()));
        Ok(Pong {
            text: req.text,
            seen,
            remaining_ms: 0,
        })
    }

    async fn trail(&self, req: Ping) -> kratos::Result<Pong> {
        Ok(Pong {
            text: req.text,
            ..Default::default()
        })
    }

    async fn panic(&self, req: Ping) -> kratos::Result<Pong> {
        panic!("asked to panic with {}", req.text);
    }
}

type Seen = Arc<Mutex<Vec<(Kind, &'static str)>>>;

/// Records `(kind, operation)` and the endpoint of every call.
#[derive(Clone, Default)]
pub struct Recorder(Seen, Arc<Mutex<Vec<String>>>);

#[kratos::middleware]
impl Middleware for Recorder {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        self.0.lock().unwrap().push((ctx.kind(), ctx.operation()));
        let endpoint = ctx.endpoint().unwrap_or("<none>").to_owned();
        self.1.lock().unwrap().push(endpoint);
        next.run(ctx, req).await
    }
}

async fn start(service: EchoServer<EchoImpl>, http: HttpServer, grpc: GrpcServer) -> RunningApp {
    App::builder()
        .handle_signals(false)
        .server(http.address("127.0.0.1:0"))
        .server(grpc.address("127.0.0.1:0"))
        .service(service)
        .build()
        .start()
        .await
        .unwrap()
}

fn clients(app: &RunningApp) -> [(Kind, EchoClient); 2] {
    [
        (
            Kind::Http,
            EchoClient::http(app.endpoint("http").unwrap()).unwrap(),
        ),
        (Kind::Grpc, EchoClient::grpc(&grpc_url(app)).unwrap()),
    ]
}

fn ping(text: &str) -> Ping {
    Ping { text: text.into() }
}

fn no_ctx() -> Context {
    Context::new(Kind::Http, "/test", Default::default())
}

#[tokio::test]
async fn one_chain_sees_the_same_operation_on_both_transports() {
    let recorder = Recorder::default();
    let app = start(
        EchoServer::new(EchoImpl::default()),
        HttpServer::new().middleware(recorder.clone()),
        GrpcServer::new().middleware(recorder.clone()),
    )
    .await;
    let outgoing = Recorder::default();
    for (_, client) in clients(&app) {
        let client = client.middleware(outgoing.clone());
        client.echo(&no_ctx(), ping("hi")).await.unwrap();
    }
    let both = [
        (Kind::Http, "/mw.v1.Echo/Echo"),
        (Kind::Grpc, "/mw.v1.Echo/Echo"),
    ];
    assert_eq!(*recorder.0.lock().unwrap(), both);
    assert_eq!(
        *outgoing.0.lock().unwrap(),
        both,
        "the client chain sees the same"
    );
    // A server chain sees the server's own endpoint, a client chain the one it calls.
    let http = app.endpoint("http").unwrap().to_owned();
    let grpc = app.endpoint("grpc").unwrap().to_owned();
    assert_eq!(*recorder.1.lock().unwrap(), [http.clone(), grpc]);
    assert_eq!(*outgoing.1.lock().unwrap(), [http, grpc_url(&app)]);
}

#[tokio::test]
async fn a_rejecting_middleware_short_circuits_before_the_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let service = EchoServer::new(EchoImpl {
        calls: calls.clone(),
    })
    .middleware(gate);
    let app = start(service, HttpServer::new(), GrpcServer::new()).await;
    for (kind, client) in clients(&app) {
        let err = client.echo(&no_ctx(), ping("forbidden")).await.unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str()),
            (403, "GATE_CLOSED"),
            "{kind}"
        );
        assert_eq!(err.message, "/mw.v1.Echo/Echo refused");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "{kind}: the handler did not run"
        );
    }
    for (_, client) in clients(&app) {
        client.echo(&no_ctx(), ping("fine")).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn chains_run_server_then_service_then_method() {
    let service = EchoServer::new(EchoImpl::default()).middleware(Trail("service"));
    let app = start(
        service,
        HttpServer::new().middleware(Trail("server")),
        GrpcServer::new(),
    )
    .await;
    let res = send(
        "POST",
        &format!("{}/v1/trail", app.endpoint("http").unwrap()),
        JSON,
        r#"{"text":"x"}"#,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.headers.get("x-trail").unwrap(), "server,service,method");
}

#[tokio::test]
async fn selector_applies_a_middleware_to_picked_operations_only() {
    let picked = Recorder::default();
    let http = HttpServer::new().middleware(selector(picked.clone()).path("/mw.v1.Echo/Trail"));
    let app = start(
        EchoServer::new(EchoImpl::default()),
        http,
        GrpcServer::new(),
    )
    .await;
    let [(_, client), _] = clients(&app);
    client.echo(&no_ctx(), ping("a")).await.unwrap();
    client.trail(ping("b")).await.unwrap();
    assert_eq!(
        *picked.0.lock().unwrap(),
        [(Kind::Http, "/mw.v1.Echo/Trail")]
    );
}

#[tokio::test]
async fn validate_answers_400_validator_on_both_transports() {
    let app = start(
        EchoServer::new(EchoImpl::default()),
        HttpServer::new().middleware(validate::validator()),
        GrpcServer::new().middleware(validate::validator()),
    )
    .await;
    for (kind, client) in clients(&app) {
        let err = client
            .echo(&no_ctx(), ping("far too long a text"))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str()),
            (400, "VALIDATOR"),
            "{kind}"
        );
        assert_eq!(err.message, "text is 19 bytes, at most 10");
        assert!(
            client.echo(&no_ctx(), ping("short")).await.is_ok(),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn recovery_with_a_custom_handler_answers_panics_on_both_transports() {
    let custom = || {
        recovery::recovery().handler(|ctx, message| {
            Error::service_unavailable("PANICKED", format!("{}: {message}", ctx.operation()))
        })
    };
    let app = start(
        EchoServer::new(EchoImpl::default()),
        HttpServer::new().middleware(custom()),
        GrpcServer::new().middleware(custom()),
    )
    .await;
    for (kind, client) in clients(&app) {
        let err = client.panic(ping("boom")).await.unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (503, "PANICKED"), "{kind}");
        assert_eq!(err.message, "/mw.v1.Echo/Panic: asked to panic with boom");
        assert!(
            client.echo(&no_ctx(), ping("after")).await.is_ok(),
            "{kind}: still serving"
        );
    }
}

#[tokio::test]
async fn logging_passes_calls_through_and_uses_the_redaction_hook() {
    let redacted = Arc::new(AtomicUsize::new(0));
    let count = redacted.clone();
    let log = move || {
        let count = count.clone();
        logging::server().redact(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            "<redacted>".to_owned()
        })
    };
    // Logging writes only when a subscriber listens: this thread's, where the servers run.
    let _log = tracing_subscriber::fmt().with_test_writer().set_default();
    let app = start(
        EchoServer::new(EchoImpl::default()),
        HttpServer::new().middleware(log()),
        GrpcServer::new().middleware(log()),
    )
    .await;
    for (_, client) in clients(&app) {
        let client = client.middleware(logging::client());
        assert_eq!(client.echo(&no_ctx(), ping("x")).await.unwrap().text, "x");
        assert!(client.panic(ping("y")).await.is_err());
    }
    assert_eq!(
        redacted.load(Ordering::SeqCst),
        4,
        "one event per server call"
    );
}

/// A client middleware sees the call before it leaves and the reply when it returns.
#[derive(Clone, Default)]
pub struct SeeReply(Arc<Mutex<Vec<String>>>);

#[kratos::middleware]
impl Middleware for SeeReply {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        let before = format!("{}:{:?}", ctx.operation(), req);
        let reply = next.run(ctx, req).await?;
        let text = reply
            .downcast_ref::<Pong>()
            .map(|p| p.text.clone())
            .unwrap_or_default();
        self.0.lock().unwrap().push(format!("{before} -> {text}"));
        Ok(reply)
    }
}

#[tokio::test]
async fn client_middlewares_wrap_the_call_on_both_transports() {
    let app = start(
        EchoServer::new(EchoImpl::default()),
        HttpServer::new(),
        GrpcServer::new(),
    )
    .await;
    let seen = SeeReply::default();
    for (_, client) in clients(&app) {
        let client = client.middleware(seen.clone());
        client.echo(&no_ctx(), ping("hey")).await.unwrap();
    }
    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for line in seen {
        assert!(line.starts_with("/mw.v1.Echo/Echo:Ping"), "{line}");
        assert!(line.ends_with("-> hey"), "{line}");
    }
}

/// A hand-written path the router cannot match (a variable sharing its segment)
/// stops the start with an error naming it; the router panicked on it before.
#[tokio::test]
async fn a_hand_written_route_the_router_cannot_match_stops_the_start() {
    let http = HttpServer::new().address("127.0.0.1:0").route(
        kratos::descriptor::HttpMethod::Post,
        "/v1/users/{login}:ban",
        "/ban",
        || async { "banned" },
    );
    let started = App::builder()
        .handle_signals(false)
        .server(http)
        .service(EchoServer::new(EchoImpl::default()))
        .build()
        .start()
        .await;
    let error = started.err().expect("the start fails");
    assert!(
        error.to_string().contains("`{login}:ban` cannot be routed"),
        "{error}"
    );
}

#[tokio::test]
async fn hand_written_routes_pass_through_the_server_chain() {
    let recorder = Recorder::default();
    let http = HttpServer::new()
        .middleware(recorder.clone())
        .middleware(selector(gate_raw).path("/upload"))
        .route(
            kratos::descriptor::HttpMethod::Post,
            "/upload",
            "/upload",
            |body: String| async move { format!("stored {} bytes", body.len()) },
        );
    let app = start(
        EchoServer::new(EchoImpl::default()),
        http,
        GrpcServer::new(),
    )
    .await;
    let base = app.endpoint("http").unwrap().to_owned();
    let ok = send("POST", &format!("{base}/upload"), JSON, "12345").await;
    assert_eq!((ok.status, ok.text()), (200, "stored 5 bytes"));
    let refused = send("POST", &format!("{base}/upload"), JSON, "forbidden").await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        refused.text().contains(r#""reason":"GATE_CLOSED""#),
        "{}",
        refused.text()
    );
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [(Kind::Http, "/upload"), (Kind::Http, "/upload")]
    );
}

/// Refuses a raw request whose body would be "forbidden" (peeks at its length).
#[kratos::middleware]
pub async fn gate_raw(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    let length = req
        .downcast_ref::<kratos::http::RawRequest>()
        .and_then(|r| r.headers().get("content-length").cloned());
    if length.is_some_and(|l| l == "9") {
        return Err(Error::forbidden(
            "GATE_CLOSED",
            format!("{} refused", ctx.operation()),
        ));
    }
    next.run(ctx, req).await
}

#[tokio::test]
async fn tower_layers_wrap_the_servers() {
    use tower_http::set_header::SetResponseHeaderLayer;
    let header = || {
        SetResponseHeaderLayer::overriding(
            http::header::HeaderName::from_static("x-layer"),
            http::HeaderValue::from_static("on"),
        )
    };
    let app = start(
        EchoServer::new(EchoImpl::default()),
        HttpServer::new().layer(header()),
        GrpcServer::new().layer(header()),
    )
    .await;
    let res = send(
        "POST",
        &format!("{}/v1/echo", app.endpoint("http").unwrap()),
        JSON,
        r#"{"text":"l"}"#,
    )
    .await;
    assert_eq!(res.headers.get("x-layer").unwrap(), "on");
    let missing = send(
        "GET",
        &format!("{}/nowhere", app.endpoint("http").unwrap()),
        JSON,
        "",
    )
    .await;
    assert_eq!(
        missing.headers.get("x-layer").unwrap(),
        "on",
        "layers see every request, routed or not"
    );
    // A gRPC call of a generated method passes the layers too.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let request = http::Request::post(format!("{}/mw.v1.Echo/Echo", grpc_url(&app)))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(&[
            0, 0, 0, 0, 0,
        ])))
        .unwrap();
    let answer = client.request(request).await.expect("a gRPC answer");
    assert_eq!(
        answer.headers().get("grpc-status"),
        None,
        "a reply, not a trailers-only error"
    );
    assert_eq!(answer.headers().get("x-layer").unwrap(), "on");
}

#[tokio::test]
async fn global_middlewares_are_installed_by_kratos_main() {
    let config = kratos::Config::from_value(serde_json::json!({
        "server": {"http": {"addr": "127.0.0.1:0"}, "grpc": {"addr": "127.0.0.1:0"}}
    }));
    let app = kratos::bootstrap::app_builder("mw", "v1", config)
        .unwrap()
        .service(EchoServer::new(EchoImpl::default()))
        .handle_signals(false)
        .build()
        .start()
        .await
        .unwrap();
    let res = send(
        "POST",
        &format!("{}/v1/echo", app.endpoint("http").unwrap()),
        JSON,
        r#"{"text":"g"}"#,
    )
    .await;
    assert_eq!(res.headers.get("x-global").unwrap(), "yes");
    let names: Vec<_> = kratos::middleware::registered()
        .iter()
        .map(|r| r.name)
        .collect();
    // The test binary's other modules may register global middlewares of their own.
    assert_eq!(
        names.iter().filter(|name| **name == "global_mark").count(),
        1,
        "{names:?}"
    );
}

/// One hop of the three-service chain: records what it saw, then calls the next hop.
pub struct Hop {
    name: &'static str,
    next: Option<EchoClient>,
    with_outgoing: Option<Metadata>,
}

#[kratos::service(package = "relay.v1")]
pub trait Relay {
    #[route(post = "/v1/relay", body = "*")]
    async fn relay(&self, ctx: &Context, req: Ping) -> kratos::Result<Pong>;
}

impl Relay for Hop {
    async fn relay(&self, ctx: &Context, req: Ping) -> kratos::Result<Pong> {
        let mut seen: Vec<String> = ctx
            .metadata()
            .iter()
            .map(|(k, v)| format!("{}:{k}={}", self.name, v.join("|")))
            .collect();
        let remaining = ctx
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        if let Some(next) = &self.next {
            let call = next.echo(
                ctx,
                Ping {
                    text: req.text.clone(),
                },
            );
            let reply = match &self.with_outgoing {
                Some(md) => metadata::with_outgoing(md.clone(), call).await?,
                None => call.await?,
            };
            seen.extend(reply.seen.into_iter().map(|s| format!("next:{s}")));
            return Ok(Pong {
                text: req.text,
                seen,
                remaining_ms: reply.remaining_ms,
            });
        }
        Ok(Pong {
            text: req.text,
            seen,
            remaining_ms: remaining.map_or(0, |r| r.as_millis() as u64),
        })
    }
}

impl Echo for Hop {
    async fn echo(&self, ctx: &Context, req: Ping) -> kratos::Result<Pong> {
        let reply = self.relay(ctx, req).await?;
        let remaining = ctx.deadline().map_or(0, |d| {
            d.saturating_duration_since(Instant::now()).as_millis() as u64
        });
        Ok(Pong {
            remaining_ms: if self.next.is_none() {
                remaining
            } else {
                reply.remaining_ms
            },
            ..reply
        })
    }
    async fn trail(&self, req: Ping) -> kratos::Result<Pong> {
        Ok(Pong {
            text: req.text,
            ..Default::default()
        })
    }
    async fn panic(&self, req: Ping) -> kratos::Result<Pong> {
        Ok(Pong {
            text: req.text,
            ..Default::default()
        })
    }
}

async fn hop(hop: Hop, timeout: Duration) -> RunningApp {
    App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .timeout(timeout)
                .middleware(metadata::server()),
        )
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .timeout(timeout)
                .middleware(metadata::server()),
        )
        .service(EchoServer::new(hop))
        .build()
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn global_metadata_travels_every_hop_and_local_metadata_one() {
    // C: the last hop, reached over HTTP, with a generous timeout.
    let c = hop(
        Hop {
            name: "C",
            next: None,
            with_outgoing: None,
        },
        Duration::from_secs(30),
    )
    .await;
    let to_c = EchoClient::http(c.endpoint("http").unwrap())
        .unwrap()
        .middleware(metadata::client());
    // B: reached over gRPC, calls C; its own timeout bounds the call to C.
    let b = hop(
        Hop {
            name: "B",
            next: Some(to_c),
            with_outgoing: None,
        },
        Duration::from_millis(1500),
    )
    .await;
    let to_b = EchoClient::grpc(&grpc_url(&b))
        .unwrap()
        .middleware(metadata::client());
    // A: sets one global and one local key for its call to B.
    let mut md = Metadata::new();
    md.set("x-md-global-trace", "t-1");
    md.set("x-md-local-user", "ann");
    let a = Hop {
        name: "A",
        next: Some(to_b),
        with_outgoing: Some(md),
    };

    let reply = a.relay(&no_ctx(), ping("go")).await.unwrap();
    let seen = reply.seen;
    assert!(
        seen.contains(&"next:B:x-md-global-trace=t-1".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"next:B:x-md-local-user=ann".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"next:next:C:x-md-global-trace=t-1".to_owned()),
        "global reaches C: {seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s.starts_with("next:next:C:x-md-local")),
        "local stops at B: {seen:?}"
    );
    assert!(
        reply.remaining_ms <= 1500,
        "C's deadline is B's remaining time, not its own 30s: {}",
        reply.remaining_ms
    );
    assert!(reply.remaining_ms > 0);
}

/// Counts the calls it handles; passes (is skipped for) calls carrying `x-quiet`.
#[derive(Clone, Default)]
struct Quiet(Arc<AtomicUsize>);

#[kratos::middleware]
impl Middleware for Quiet {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(ctx, req).await
    }

    fn passes(&self, ctx: &Context) -> bool {
        ctx.request_header("x-quiet").is_some()
    }
}

/// A server middleware that passes a call is stepped over for it, and runs for
/// the others: alone in the chain (the method is called directly) and beside a
/// middleware that acts.
#[tokio::test]
async fn a_middleware_that_passes_a_call_is_skipped_for_it() {
    let quiet = Quiet::default();
    let seen = Recorder::default();
    for http in [
        HttpServer::new().middleware(quiet.clone()),
        HttpServer::new()
            .middleware(quiet.clone())
            .middleware(seen.clone()),
    ] {
        let app = start(
            EchoServer::new(EchoImpl::default()),
            http,
            GrpcServer::new(),
        )
        .await;
        let url = format!("{}/v1/echo", crate::common::http_url(&app));
        for headers in [vec![("x-quiet", "1")], vec![]] {
            let mut all = headers.clone();
            all.push(("content-type", "application/json"));
            let res = send("POST", &url, &all, r#"{"text": "hi"}"#).await;
            assert_eq!(res.status, 200, "{}", res.text());
            assert_eq!(res.json()["text"], "hi");
        }
    }
    assert_eq!(
        quiet.0.load(Ordering::SeqCst),
        2,
        "one counted call per server"
    );
}
