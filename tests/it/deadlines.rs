//! The deadline has one home, the call's `Context`: a server middleware that
//! shortens it bounds the handler, and the client calls the handler makes carry
//! the shorter deadline downstream, over HTTP and gRPC alike.

use std::time::{Duration, Instant};

use kratos::prelude::*;

#[kratos::message]
pub struct Ask {
    pub target: String,
}

#[kratos::message]
pub struct Remaining {
    /// Milliseconds left before the deadline the serving side saw.
    pub millis: u64,
}

#[kratos::service(package = "deadline.v1")]
pub trait Probe {
    /// Never answers: only a deadline ends it.
    #[route(post = "/v1/hang", body = "*")]
    async fn hang(&self, req: Ask) -> kratos::Result<Remaining>;

    /// Reports how long the call has left.
    #[route(post = "/v1/remaining", body = "*")]
    async fn remaining(&self, ctx: &Context, req: Ask) -> kratos::Result<Remaining>;

    /// Calls `remaining` on the server `target` names and returns what it saw.
    #[route(post = "/v1/relay", body = "*")]
    async fn relay(&self, req: Ask) -> kratos::Result<Remaining>;
}

struct ProbeImpl;

/// Long enough that only a shortened deadline can end a call in a test run.
const LONG: Duration = Duration::from_secs(100);
/// The deadline the middleware sets.
const SHORT: Duration = Duration::from_secs(2);

impl Probe for ProbeImpl {
    async fn hang(&self, _req: Ask) -> kratos::Result<Remaining> {
        std::future::pending().await
    }

    async fn remaining(&self, ctx: &Context, _req: Ask) -> kratos::Result<Remaining> {
        let left = ctx.deadline().expect("a server call has a deadline");
        Ok(Remaining {
            millis: left.saturating_duration_since(Instant::now()).as_millis() as u64,
        })
    }

    async fn relay(&self, req: Ask) -> kratos::Result<Remaining> {
        let client = match req.target.split_once("://") {
            Some(("http", _)) => kratos::Client::http(&req.target)?,
            _ => kratos::Client::grpc(&req.target)?,
        };
        // A context of its own: the deadline comes from the call being served.
        ProbeClient::new(client.with_timeout(LONG))
            .remaining(&outside(), Ask::default())
            .await
    }
}

/// A caller's context that carries no deadline of its own.
fn outside() -> Context {
    Context::new(Kind::Http, "/test", Default::default())
}

/// Shortens every call's deadline to [`SHORT`] from now.
#[kratos::middleware]
pub async fn tighten(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    ctx.set_deadline(Some(Instant::now() + SHORT));
    next.run(ctx, req).await
}

async fn server(tightened: bool) -> kratos::RunningApp {
    let (mut http, mut grpc) = (
        HttpServer::new().address("127.0.0.1:0").timeout(LONG),
        GrpcServer::new().address("127.0.0.1:0").timeout(LONG),
    );
    if tightened {
        http = http.middleware(tighten);
        grpc = grpc.middleware(tighten);
    }
    App::builder()
        .handle_signals(false)
        .server(http)
        .server(grpc)
        .service(ProbeServer::new(ProbeImpl))
        .build()
        .start()
        .await
        .unwrap()
}

fn client(app: &kratos::RunningApp, scheme: &str) -> ProbeClient {
    let endpoint = app.endpoint(scheme).unwrap();
    let client = match scheme {
        "http" => kratos::Client::http(endpoint),
        _ => kratos::Client::grpc(endpoint),
    };
    ProbeClient::new(client.unwrap().with_timeout(LONG))
}

#[tokio::test]
async fn a_middleware_that_shortens_the_deadline_ends_the_handler() {
    let app = server(true).await;
    for scheme in ["http", "grpc"] {
        // The guard only keeps a broken build from hanging the suite.
        let answer = tokio::time::timeout(
            Duration::from_secs(60),
            client(&app, scheme).hang(Ask::default()),
        )
        .await
        .expect("the server answers once the shortened deadline passes");
        let err = answer.unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str()),
            (504, "TIMEOUT"),
            "{scheme}"
        );
        assert!(
            err.message.contains("deadline a middleware set"),
            "{scheme}: the server, not the client, ended the call: {}",
            err.message
        );
    }
}

#[tokio::test]
async fn the_handler_and_its_downstream_calls_see_the_shortened_deadline() {
    let upstream = server(true).await;
    let downstream = server(false).await;
    for up in ["http", "grpc"] {
        let here = client(&upstream, up)
            .remaining(&outside(), Ask::default())
            .await
            .unwrap();
        assert!(
            here.millis <= SHORT.as_millis() as u64,
            "{up}: the handler sees the middleware's deadline, {} ms left",
            here.millis
        );
        for down in ["http", "grpc"] {
            let target = downstream.endpoint(down).unwrap().to_owned();
            let seen = client(&upstream, up).relay(Ask { target }).await.unwrap();
            assert!(
                seen.millis <= SHORT.as_millis() as u64,
                "{up} -> {down}: the downstream call carries the shortened deadline, {} ms left",
                seen.millis
            );
        }
    }
    // Without the middleware the same call has the server's long timeout.
    let untouched = client(&downstream, "http")
        .remaining(&outside(), Ask::default())
        .await
        .unwrap();
    assert!(
        untouched.millis > SHORT.as_millis() as u64,
        "{}",
        untouched.millis
    );
}
