//! Connections as hostile and careless clients hold them, over real sockets: slow
//! clients (slowloris) are closed after their timeouts while everyone else is
//! served, the connection cap holds, oversized headers and bodies get the kratos
//! error body, and a stopping process does not wait past its stop timeout.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use kratos::http::{ConnectionConfig, HttpMethod, Multipart, MultipartError};
use kratos::prelude::*;
use kratos::{GrpcServer, RunningApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{EchoImpl, EchoServer};
use crate::curl::{assert_error, send};
use crate::process;

/// How long a test waits for the server to close a connection before it calls the
/// connection stuck: far above every timeout configured here, so only a server that
/// never closes it fails.
const GUARD: Duration = Duration::from_secs(20);

/// Short timeouts, so slow clients are cut quickly.
fn short_timeouts() -> ConnectionConfig {
    let mut limits = ConnectionConfig::default();
    limits.header_read_timeout = Duration::from_secs(1);
    limits.body_read_timeout = Duration::from_secs(1);
    limits.idle_timeout = Duration::from_secs(1);
    limits
}

/// The defaults with one change: the config structs are `#[non_exhaustive]`, so
/// code outside kratos starts from `default()` (as a config file does).
fn limits(change: impl FnOnce(&mut ConnectionConfig)) -> ConnectionConfig {
    let mut limits = ConnectionConfig::default();
    change(&mut limits);
    limits
}

async fn start(http: HttpServer, grpc: GrpcServer) -> RunningApp {
    App::builder()
        .handle_signals(false)
        .server(http.address("127.0.0.1:0"))
        .server(grpc.address("127.0.0.1:0"))
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .expect("app starts")
}

fn addr(app: &RunningApp, scheme: &str) -> SocketAddr {
    let endpoint = app.endpoint(scheme).unwrap();
    endpoint[scheme.len() + 3..].parse().unwrap()
}

/// Connects and sends `bytes`, then leaves the connection as it is.
async fn open(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes the connection; what it wrote before closing.
/// Panics if the server keeps it open past [`GUARD`].
async fn read_until_closed(what: &str, mut stream: TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(GUARD, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "{what}: the server still holds the connection after {GUARD:?}"
    );
    String::from_utf8_lossy(&received).into_owned()
}

/// One complete request on its own connection; the status line's code.
async fn get_status(addr: SocketAddr, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    let answer = read_until_closed(path, open(addr, request.as_bytes()).await).await;
    status_of(&answer)
}

fn status_of(answer: &str) -> u16 {
    answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

/// The kratos error body of a raw HTTP/1.1 answer.
fn error_body(answer: &str) -> serde_json::Value {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no body: {answer:?}"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer:?}"))
}

#[tokio::test]
async fn slow_clients_are_closed_after_their_timeouts_while_others_are_served() {
    let app = start(
        HttpServer::new().connection(short_timeouts()),
        GrpcServer::new().connection(short_timeouts()),
    )
    .await;
    let (http, grpc) = (addr(&app, "http"), addr(&app, "grpc"));
    let post = "POST /v1/users/1 HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n";
    let slow: Vec<(&str, TcpStream)> = vec![
        ("nothing sent", open(http, b"").await),
        ("half a request line", open(http, b"GET /v1/ec").await),
        (
            "headers never finished",
            open(
                http,
                b"GET /v1/echo/x HTTP/1.1\r\nhost: test\r\nx-slow: 1\r\n",
            )
            .await,
        ),
        ("body never sent", open(http, post.as_bytes()).await),
        (
            "body half sent",
            open(http, format!("{post}{{\"name\":").as_bytes()).await,
        ),
        ("nothing sent to gRPC", open(grpc, b"").await),
        (
            "HTTP/2 preface, then no call",
            open(
                grpc,
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
            )
            .await,
        ),
    ];
    let readers: Vec<_> = slow
        .into_iter()
        .map(|(what, stream)| {
            tokio::spawn(async move { (what, read_until_closed(what, stream).await) })
        })
        .collect();

    // Everyone else is answered while the slow connections hang on.
    let mut served = 0;
    while readers.iter().any(|r| !r.is_finished()) {
        assert_eq!(get_status(http, "/v1/echo/normal").await, 200);
        served += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served > 0);
    for reader in readers {
        let (what, answer) = reader.await.unwrap();
        if what.starts_with("body") {
            // The request had arrived: it is answered, 408 in the kratos body.
            assert_eq!(status_of(&answer), 408, "{what}: {answer}");
            assert_eq!(error_body(&answer)["reason"], "REQUEST_TIMEOUT", "{what}");
        }
    }
    assert_eq!(get_status(http, "/v1/echo/after").await, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = start(
        HttpServer::new().connection(limits(|l| l.idle_timeout = Duration::from_secs(1))),
        GrpcServer::new(),
    )
    .await;
    let mut stream = open(
        addr(&app, "http"),
        b"GET /v1/echo/once HTTP/1.1\r\nhost: test\r\n\r\n",
    )
    .await;
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    read_until_closed("idle keep-alive connection", stream).await;
}

#[tokio::test]
async fn past_max_connections_new_clients_wait_for_a_free_slot() {
    let app = start(
        HttpServer::new().connection(limits(|l| l.max_connections = 2)),
        GrpcServer::new(),
    )
    .await;
    let http = addr(&app, "http");
    let request = b"GET /v1/echo/held HTTP/1.1\r\nhost: test\r\n\r\n";
    // Two keep-alive connections take both slots.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = open(http, request).await;
        let mut status = [0u8; 12];
        stream.read_exact(&mut status).await.unwrap();
        assert_eq!(&status, b"HTTP/1.1 200");
        held.push(stream);
    }
    // A third client connects (the kernel queues it) but is not served...
    let mut waiting = open(
        http,
        b"GET /v1/echo/third HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n",
    )
    .await;
    let mut first = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_secs(1), waiting.read(&mut first)).await;
    assert!(
        early.is_err(),
        "a third connection was served past max_connections = 2"
    );
    // ...until a slot frees; then it is, and so is everyone after it.
    drop(held.pop());
    let answer = read_until_closed("the waiting client", waiting).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    drop(held);
    for _ in 0..5 {
        assert_eq!(get_status(http, "/v1/echo/after").await, 200);
    }
}

#[tokio::test]
async fn too_many_or_too_large_headers_get_431_in_the_kratos_body() {
    let app = start(HttpServer::new(), GrpcServer::new()).await;
    let http = addr(&app, "http");

    let many: String = (0..200).map(|i| format!("x-many-{i}: v\r\n")).collect();
    let request = format!("GET /v1/echo/x HTTP/1.1\r\nhost: test\r\n{many}\r\n");
    let answer = read_until_closed("200 headers", open(http, request.as_bytes()).await).await;
    assert_eq!(status_of(&answer), 431, "{answer}");
    let body = error_body(&answer);
    assert_eq!(body["code"], 431);
    assert_eq!(body["reason"], "REQUEST_HEADER_FIELDS_TOO_LARGE");

    let large = "a".repeat(100 * 1024);
    let request = format!("GET /v1/echo/x HTTP/1.1\r\nhost: test\r\nx-large: {large}\r\n\r\n");
    let answer = read_until_closed("a 100 KiB header", open(http, request.as_bytes()).await).await;
    assert_eq!(status_of(&answer), 431, "{answer}");
    assert_eq!(
        error_body(&answer)["reason"],
        "REQUEST_HEADER_FIELDS_TOO_LARGE"
    );

    // A request within the limits, on a connection whose handler answers 4xx
    // itself, keeps its own answer.
    let fifty: String = (0..50).map(|i| format!("x-some-{i}: v\r\n")).collect();
    let request =
        format!("GET /v1/fail/nobody HTTP/1.1\r\nhost: test\r\nconnection: close\r\n{fifty}\r\n");
    let answer = read_until_closed("50 headers", open(http, request.as_bytes()).await).await;
    assert_eq!(status_of(&answer), 404, "{answer}");
    assert_eq!(error_body(&answer)["reason"], "USER_NOT_FOUND");
}

/// A hand-written upload route: the total size of the files it received.
async fn upload(mut form: Multipart) -> Result<String, MultipartError> {
    let mut total = 0;
    while let Some(field) = form.next_field().await? {
        total += field.bytes().await?.len();
    }
    Ok(total.to_string())
}

/// POSTs one file of `size` bytes as multipart/form-data; status and body.
async fn post_file(addr: SocketAddr, size: usize) -> (u16, String) {
    let boundary = "kratos-test-boundary";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\ncontent-type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + size, b'x');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let url = format!("http://{addr}/upload");
    let answer = send("POST", &url, &[("content-type", &content_type)], body).await;
    (answer.status, answer.text().to_owned())
}

#[tokio::test]
async fn one_body_limit_for_generated_and_hand_written_routes() {
    let http = HttpServer::new().route(HttpMethod::Post, "/upload", "/files/Upload", upload);
    let app = start(http, GrpcServer::new()).await;
    let http = addr(&app, "http");

    // Above axum's own 2 MB, below the server's 4 MiB: accepted.
    let (status, body) = post_file(http, 3 * 1024 * 1024).await;
    assert_eq!((status, body.as_str()), (200, "3145728"));
    // Above 4 MiB: 413 in the kratos body, on the hand-written route...
    let (status, body) = post_file(http, 5 * 1024 * 1024).await;
    assert_eq!(status, 413, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["reason"], "PAYLOAD_TOO_LARGE");
    // ...and on a generated one.
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(5 * 1024 * 1024));
    let res = send(
        "POST",
        &format!("http://{http}/v1/users/1"),
        &[("content-type", "application/json")],
        &huge,
    )
    .await;
    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn server_http_max_body_sets_the_limit_of_every_route() {
    let http = HttpServer::new().max_body(1024 * 1024).route(
        HttpMethod::Post,
        "/upload",
        "/files/Upload",
        upload,
    );
    let app = start(http, GrpcServer::new()).await;
    let http = addr(&app, "http");
    let (status, _) = post_file(http, 1000 * 1024).await;
    assert_eq!(status, 200);
    let (status, body) = post_file(http, 2 * 1024 * 1024).await;
    assert_eq!(status, 413, "{body}");
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let res = send(
        "POST",
        &format!("http://{http}/v1/users/1"),
        &[("content-type", "application/json")],
        &big,
    )
    .await;
    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
}

/// An HTTP/2 request body that never sends anything: a call stuck in flight.
struct NeverBody;

impl hyper::body::Body for NeverBody {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

#[tokio::test]
async fn a_grpc_call_whose_message_never_arrives_ends_deadline_exceeded() {
    let app = start(
        HttpServer::new(),
        GrpcServer::new().connection(short_timeouts()),
    )
    .await;
    let grpc = addr(&app, "grpc");
    let io = hyper_util::rt::TokioIo::new(TcpStream::connect(grpc).await.unwrap());
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::post(format!("http://{grpc}/test.v1.Echo/GrpcOnly"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(NeverBody)
        .unwrap();
    let response = tokio::time::timeout(GUARD, sender.send_request(request))
        .await
        .expect("the call is answered once the body read timeout passes")
        .unwrap();
    let status = match response.headers().get("grpc-status") {
        Some(status) => status.clone(),
        None => {
            use http_body_util::BodyExt;
            let body = tokio::time::timeout(GUARD, response.into_body().collect())
                .await
                .unwrap()
                .unwrap();
            body.trailers().unwrap()["grpc-status"].clone()
        }
    };
    assert_eq!(status, "4", "DEADLINE_EXCEEDED");
}

#[tokio::test]
async fn a_process_with_stuck_connections_exits_at_its_stop_timeout() {
    // Header and body timeouts far above the stop timeout: only stop can end the
    // stuck calls, and it must not wait for them past app.stop_timeout (2s), nor for
    // the 10s default.
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(
        conf.path().join("config.yaml"),
        "app:\n  stop_timeout: 2s\nserver:\n  http:\n    addr: 127.0.0.1:0\n    header_read_timeout: 60s\n    body_read_timeout: 60s\n  grpc:\n    addr: 127.0.0.1:0\n    header_read_timeout: 60s\n    body_read_timeout: 60s\n",
    )
    .unwrap();
    let mut example = process::start("helloworld", conf.path());
    let http: SocketAddr = example.http.parse().unwrap();
    let grpc: SocketAddr = example.grpc.parse().unwrap();

    // Stuck: half a request line, unfinished headers, and a gRPC call whose request
    // message never comes (a call in flight, which stop waits for).
    let _half = open(http, b"GET /hellowor").await;
    let _headers = open(http, b"GET /helloworld/x HTTP/1.1\r\nhost: x\r\n").await;
    let io = hyper_util::rt::TokioIo::new(TcpStream::connect(grpc).await.unwrap());
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::post(format!("http://{grpc}/helloworld.v1.Greeter/SayHello"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(NeverBody)
        .unwrap();
    let _call = tokio::spawn(sender.send_request(request));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = example.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // 2s stop timeout plus a wide margin, yet well short of the 10s default and of
    // the 60s the stuck connections would otherwise hold on for.
    let guard = std::time::Instant::now() + Duration::from_secs(7);
    let status = loop {
        if let Some(status) = example.child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > guard {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let status = status.expect("the process still runs 7s after SIGTERM with a 2s stop timeout");
    assert!(status.success(), "{status}");
}
