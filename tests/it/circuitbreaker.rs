//! The client circuit breaker over real sockets: against a Python grpcio Greeter
//! that answers UNAVAILABLE until told to recover, against an in-process kratos
//! server answering 503 over HTTP and gRPC, and against a port nobody listens
//! on. Every check counts the calls the server received, so "rejected without
//! calling it" is proved by the server, not assumed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kratos::NodeUnreachable;
use kratos::middleware::circuitbreaker::{self, REASON};
use kratos::prelude::*;

use crate::process::python;

use crate::common::helloworld::*;

/// A guard against a test that would otherwise hang; never an expectation of speed.
const GUARD: Duration = Duration::from_secs(60);

/// How the calls of a run ended.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    /// Answered OK.
    ok: usize,
    /// Rejected locally: 503 `CIRCUITBREAKER`.
    rejected: usize,
    /// Failed by the remote (or the way to it): any other error.
    failed: usize,
}

impl Tally {
    /// The calls that left this process.
    fn sent(&self) -> usize {
        self.ok + self.failed
    }

    fn count(&mut self, result: &kratos::Result<HelloReply>) {
        match result {
            Ok(_) => self.ok += 1,
            Err(e) if e.reason == REASON => {
                assert_eq!(e.code, 503);
                assert_eq!(e.message, "request failed due to circuit breaker triggered");
                self.rejected += 1;
            }
            Err(_) => self.failed += 1,
        }
    }
}

async fn hello(client: &GreeterClient) -> kratos::Result<HelloReply> {
    client
        .say_hello(HelloRequest {
            name: "breaker".into(),
        })
        .await
}

/// Calls until one is rejected locally; every other answer must be `down`'s kind.
async fn until_open(client: &GreeterClient, tally: &mut Tally, down: impl Fn(&Error) -> bool) {
    let started = Instant::now();
    loop {
        let result = hello(client).await;
        tally.count(&result);
        match result {
            Err(e) if e.reason == REASON => return,
            Err(e) => assert!(down(&e), "unexpected answer while down: {e:?}"),
            Ok(reply) => panic!("answered while down: {reply:?}"),
        }
        assert!(
            started.elapsed() < GUARD,
            "the breaker never opened: {tally:?}"
        );
    }
}

/// Calls (a few ms apart) until `streak` calls in a row succeed: the breaker has closed.
async fn until_closed(client: &GreeterClient, tally: &mut Tally, streak: usize) {
    let started = Instant::now();
    let mut in_a_row = 0;
    while in_a_row < streak {
        let result = hello(client).await;
        tally.count(&result);
        match result {
            Ok(reply) => {
                assert_eq!(reply.message, "Hello breaker");
                in_a_row += 1;
            }
            Err(e) if e.reason == REASON => in_a_row = 0,
            Err(e) => panic!("the server has recovered, yet: {e:?}"),
        }
        assert!(
            started.elapsed() < GUARD,
            "the breaker never closed: {tally:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `tests/python/flaky_server.py`, driven through its stdin.
struct Flaky {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Flaky {
    fn start() -> Self {
        let mut child = python("flaky_server.py")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut port = String::new();
        stdout.read_line(&mut port).unwrap();
        let port = port
            .trim()
            .parse()
            .expect("flaky_server.py prints its port (install grpcio-tools with `bash .ci/setup`)");
        Self {
            child,
            stdin,
            stdout,
            port,
        }
    }

    fn command(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        answer.trim().to_owned()
    }

    /// The SayHello calls the server has received.
    fn calls(&mut self) -> usize {
        self.command("count").parse().unwrap()
    }
}

impl Drop for Flaky {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_grpcio_server_answering_unavailable_trips_the_breaker_until_it_recovers() {
    let mut server = Flaky::start();
    let client = GreeterClient::grpc(&format!("http://127.0.0.1:{}", server.port))
        .unwrap()
        .middleware(circuitbreaker::client());
    let mut tally = Tally::default();

    // UNAVAILABLE arrives as 503 without a reason; Go kratos v2's defaults open the
    // breaker once 100 such answers are in the window.
    until_open(&client, &mut tally, |e| {
        e.code == 503 && e.reason.is_empty()
    })
    .await;
    assert!(tally.failed >= 100, "{tally:?}");
    let before = tally;
    for _ in 0..200 {
        tally.count(&hello(&client).await);
    }
    assert_eq!(tally.ok, 0);
    assert!(tally.rejected > before.rejected, "{tally:?}");
    // Every rejected call stayed here: the server saw exactly the others.
    assert_eq!(server.calls(), tally.sent(), "{tally:?}");

    assert_eq!(server.command("recover"), "ok");
    until_closed(&client, &mut tally, 50).await;
    assert_eq!(server.calls(), tally.sent(), "{tally:?}");
}

/// A kratos Greeter that answers 503 while `down`, counting the calls it runs.
#[derive(Clone, Default)]
struct Busy {
    down: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Greeter for Busy {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if req.name == "missing" {
            return Err(Error::not_found("USER_NOT_FOUND", "no such user"));
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::service_unavailable("BUSY", "too busy, try later"));
        }
        Ok(HelloReply {
            message: format!("Hello {}", req.name),
        })
    }
}

#[tokio::test]
async fn a_kratos_server_answering_503_trips_the_breaker_over_http_and_grpc() {
    let busy = Busy::default();
    let mut app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(GreeterServer::new(busy.clone()))
        .build()
        .start()
        .await
        .expect("starts");
    let http = app.endpoint("http").unwrap().to_owned();
    let grpc = app
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    // Go kratos v3's preset, on a 1 s window so that recovery does not wait 3 s.
    let breaker = || circuitbreaker::client().v3().window(Duration::from_secs(1));
    for client in [
        GreeterClient::http(&http).unwrap().middleware(breaker()),
        GreeterClient::grpc(&grpc).unwrap().middleware(breaker()),
    ] {
        busy.calls.store(0, Ordering::SeqCst);
        busy.down.store(true, Ordering::SeqCst);
        let mut tally = Tally::default();
        until_open(&client, &mut tally, |e| e.code == 503 && e.reason == "BUSY").await;
        assert!(tally.failed >= 20, "{tally:?}");
        for _ in 0..100 {
            tally.count(&hello(&client).await);
        }
        assert_eq!(busy.calls.load(Ordering::SeqCst), tally.sent(), "{tally:?}");

        busy.down.store(false, Ordering::SeqCst);
        until_closed(&client, &mut tally, 50).await;
        assert_eq!(busy.calls.load(Ordering::SeqCst), tally.sent(), "{tally:?}");
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn answers_other_than_500_503_504_never_open_it() {
    let busy = Busy::default();
    let mut app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .service(GreeterServer::new(busy.clone()))
        .build()
        .start()
        .await
        .expect("starts");
    let client = GreeterClient::http(app.endpoint("http").unwrap())
        .unwrap()
        .middleware(circuitbreaker::client().v3());
    for _ in 0..300 {
        let err = client
            .say_hello(HelloRequest {
                name: "missing".into(),
            })
            .await
            .unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (404, "USER_NOT_FOUND"));
    }
    assert_eq!(busy.calls.load(Ordering::SeqCst), 300);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_node_counts_as_a_failure() {
    // Bound and dropped: nothing listens there now, so every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    for client in [
        GreeterClient::http(&url).unwrap(),
        GreeterClient::grpc(&url).unwrap(),
    ] {
        let client = client.middleware(circuitbreaker::client().v3());
        let mut tally = Tally::default();
        until_open(&client, &mut tally, NodeUnreachable::is).await;
        assert!(tally.failed >= 20, "{tally:?}");
    }
}

/// Under `#[kratos::main]`: `middleware.circuitbreaker` in the relay example's
/// config puts the breaker on the client its `main` builds, with no code.
#[tokio::test]
async fn middleware_circuitbreaker_in_the_config_guards_the_clients_main_builds() {
    let mut flaky = Flaky::start();
    let conf = crate::process::config_dir(&format!(
        "relay:\n  target: grpc://127.0.0.1:{}\nmiddleware:\n  circuitbreaker:\n    preset: v3\n",
        flaky.port
    ));
    let relay = crate::process::start("relay", conf.path());
    let url = format!("http://{}/helloworld/ada", relay.http);
    let mut calls = 0;
    let rejected = loop {
        let answer = crate::curl::get(&url).await;
        calls += 1;
        assert_eq!(answer.status, 503, "{}", answer.text());
        if answer.json()["reason"] == REASON {
            break answer.json();
        }
        assert!(calls < 500, "the breaker never opened");
    };
    assert_eq!(
        rejected["message"],
        "request failed due to circuit breaker triggered"
    );
    let received: usize = flaky.command("count").parse().unwrap();
    assert!(received < calls, "the rejected call reached the server");

    assert_eq!(flaky.command("recover"), "ok");
    let guard = Instant::now() + Duration::from_secs(60);
    while crate::curl::get(&url).await.status != 200 {
        assert!(Instant::now() < guard, "the breaker never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
