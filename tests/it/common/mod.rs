//! A service that exercises every binding, started on free ports for each test.
#![allow(dead_code)]

use std::time::Duration;

use kratos::RunningApp;
use kratos::prelude::*;

/// A nested message, bound through `a.b` paths.
/// The Go kratos helloworld API, shared with the examples: `tests/python/helloworld.proto`
/// declares the same, so grpcio clients and servers speak it.
#[path = "../../../examples/helloworld/api.rs"]
pub mod helloworld;
#[cfg(feature = "metrics")]
pub mod scrape;
#[cfg(feature = "opentelemetry")]
pub mod spans;

#[kratos::message]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

#[kratos::message]
pub struct EchoRequest {
    pub name: String,
    pub user_id: i64,
    pub tags: Vec<String>,
    pub page: Option<Page>,
    pub flag: bool,
}

#[kratos::message]
pub struct EchoReply {
    pub name: String,
    pub user_id: i64,
    pub tags: Vec<String>,
    pub page: Option<Page>,
    pub flag: bool,
    /// Filled from the context: kind and operation.
    pub kind: String,
    pub operation: String,
}

#[kratos::message]
pub struct SleepRequest {
    pub millis: u64,
}

#[kratos::message]
pub struct Empty {}

#[kratos::service(package = "test.v1")]
pub trait Echo {
    #[route(get = "/v1/echo/{name}")]
    #[route(delete = "/v1/echo/{name}")]
    async fn echo(&self, ctx: &Context, req: EchoRequest) -> kratos::Result<EchoReply>;

    #[route(post = "/v1/users/{user_id}", body = "*", status = 201)]
    async fn create(&self, req: EchoRequest) -> kratos::Result<EchoReply>;

    #[route(put = "/v1/users/{user_id}/page", body = "page")]
    async fn set_page(&self, req: EchoRequest) -> kratos::Result<EchoReply>;

    #[route(patch = "/v1/pages/{page.number}")]
    async fn patch_page(&self, req: EchoRequest) -> kratos::Result<EchoReply>;

    #[route(get = "/v1/fail/{name}")]
    async fn fail(&self, req: EchoRequest) -> kratos::Result<EchoReply>;

    #[route(get = "/v1/sleep/{millis}")]
    async fn sleep(&self, req: SleepRequest) -> kratos::Result<Empty>;

    /// No route: served over gRPC only.
    async fn grpc_only(&self, req: EchoRequest) -> kratos::Result<EchoReply>;
}

#[derive(Default)]
pub struct EchoImpl;

fn reply(req: EchoRequest) -> EchoReply {
    EchoReply {
        name: req.name,
        user_id: req.user_id,
        tags: req.tags,
        page: req.page,
        flag: req.flag,
        ..EchoReply::default()
    }
}

impl Echo for EchoImpl {
    async fn echo(&self, ctx: &Context, req: EchoRequest) -> kratos::Result<EchoReply> {
        ctx.set_reply_header("x-echo-kind", ctx.kind().as_str())?;
        if let Some(v) = ctx.request_header("x-test") {
            ctx.set_reply_header("x-test-seen", v)?;
        }
        Ok(EchoReply {
            kind: ctx.kind().to_string(),
            operation: ctx.operation().to_owned(),
            ..reply(req)
        })
    }

    async fn create(&self, req: EchoRequest) -> kratos::Result<EchoReply> {
        Ok(reply(req))
    }

    async fn set_page(&self, req: EchoRequest) -> kratos::Result<EchoReply> {
        Ok(reply(req))
    }

    async fn patch_page(&self, req: EchoRequest) -> kratos::Result<EchoReply> {
        Ok(reply(req))
    }

    async fn fail(&self, req: EchoRequest) -> kratos::Result<EchoReply> {
        match req.name.as_str() {
            "plain" => Err(std::io::Error::other("disk on fire").into()),
            "exposed" => Err(Error::from_std(std::io::Error::other("disk on fire")).expose_cause()),
            "panic" => panic!("the handler was asked to panic"),
            "teapot" => Err(Error::new(418, "TEAPOT", "short and stout")),
            _ => Err(
                Error::not_found("USER_NOT_FOUND", format!("user {} not found", req.name))
                    .with_metadata("name", req.name),
            ),
        }
    }

    async fn sleep(&self, req: SleepRequest) -> kratos::Result<Empty> {
        tokio::time::sleep(Duration::from_millis(req.millis)).await;
        Ok(Empty {})
    }

    async fn grpc_only(&self, req: EchoRequest) -> kratos::Result<EchoReply> {
        Ok(reply(req))
    }
}

/// Starts the echo service on free loopback ports, HTTP first, with `timeout` per call.
pub async fn start_with_timeout(timeout: Duration) -> RunningApp {
    App::builder()
        .name("echo")
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0").timeout(timeout))
        .server(GrpcServer::new().address("127.0.0.1:0").timeout(timeout))
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .expect("echo app starts")
}

/// Starts the echo service with the default 1s server timeout.
pub async fn start() -> RunningApp {
    start_with_timeout(kratos::deadline::DEFAULT_SERVER_TIMEOUT).await
}

/// The `http://` endpoint.
pub fn http_url(app: &RunningApp) -> String {
    app.endpoint("http").expect("http endpoint").to_owned()
}

/// The gRPC endpoint as an `http://` URL, as gRPC clients want it.
pub fn grpc_url(app: &RunningApp) -> String {
    app.endpoint("grpc")
        .expect("grpc endpoint")
        .replacen("grpc://", "http://", 1)
}
