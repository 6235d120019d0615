//! `Context::peer`: the caller's address reaches typed methods over HTTP/1.1,
//! HTTP/2 and gRPC, and a hand-written route's axum `ConnectInfo` extractor, from
//! the connection that carried the call.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use kratos::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{grpc_url, http_url};

/// The request of [`Whoami::whoami`].
#[kratos::message]
pub struct WhoRequest {}

/// The caller's address as the server saw it.
#[kratos::message]
pub struct WhoReply {
    /// `ip:port`, empty when unknown.
    pub peer: String,
}

/// Answers who called.
#[kratos::service(package = "peer.v1")]
pub trait Whoami {
    /// The caller's address.
    #[route(get = "/v1/whoami")]
    async fn whoami(&self, ctx: &Context, req: WhoRequest) -> kratos::Result<WhoReply>;
}

struct WhoamiImpl;

impl Whoami for WhoamiImpl {
    async fn whoami(&self, ctx: &Context, _: WhoRequest) -> kratos::Result<WhoReply> {
        Ok(WhoReply {
            peer: ctx.peer().map(|p| p.to_string()).unwrap_or_default(),
        })
    }
}

async fn app() -> kratos::RunningApp {
    let http = HttpServer::new().address("127.0.0.1:0").route(
        kratos::descriptor::HttpMethod::Get,
        "/raw/whoami",
        "/raw/whoami",
        |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() },
    );
    App::builder()
        .handle_signals(false)
        .server(http)
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(WhoamiServer::new(WhoamiImpl))
        .build()
        .start()
        .await
        .expect("starts")
}

/// Two requests on one HTTP/1.1 connection: each body names the connection's
/// own address.
async fn ask_twice(url: &str, path: &str) -> (SocketAddr, Vec<String>) {
    let addr = url.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    let last = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    tcp.write_all(format!("{request}{last}").as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tcp.read_to_string(&mut raw),
    )
    .await
    .expect("the server answers and closes")
    .unwrap();
    let bodies = raw
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|answer| answer.split("\r\n\r\n").nth(1).unwrap_or("").to_owned())
        .collect();
    (local, bodies)
}

#[tokio::test]
async fn typed_methods_and_hand_written_routes_see_the_callers_address() {
    let app = app().await;
    let url = http_url(&app);
    let (local, bodies) = ask_twice(&url, "/v1/whoami").await;
    let expected = serde_json::json!({ "peer": local.to_string() }).to_string();
    assert_eq!(bodies, [expected.clone(), expected], "{local}");
    let (local, bodies) = ask_twice(&url, "/raw/whoami").await;
    assert_eq!(bodies, [local.to_string(), local.to_string()]);

    // gRPC (HTTP/2: each call is a stream of the connection, served on a task of its own).
    let client = WhoamiClient::grpc(&grpc_url(&app)).unwrap();
    let ctx = Context::new(Kind::Grpc, "/client", Default::default());
    let first = client.whoami(&ctx, WhoRequest {}).await.unwrap().peer;
    let second = client.whoami(&ctx, WhoRequest {}).await.unwrap().peer;
    let peer: SocketAddr = first.parse().unwrap_or_else(|_| panic!("{first:?}"));
    assert_eq!(peer.ip().to_string(), "127.0.0.1");
    assert_ne!(peer.port(), 0);
    assert_eq!(first, second, "one connection, one address");
}
