//! The BBR rate limiter over real sockets: one limiter shared by an HTTP and a gRPC
//! server, its CPU reading set by the test (the process test under `stress-ng` is
//! the real CPU). Overloaded with more than one call in flight, a call gets Go
//! kratos's 429 `RATELIMIT` body over HTTP and `RESOURCE_EXHAUSTED` with reason
//! `RATELIMIT` in a grpcio client, and the handler never sees it; the server takes
//! calls again once the calls in flight end, however they end.

use std::ffi::OsStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use kratos::RunningApp;
use kratos::middleware::ratelimit::{self, Bbr, Options};
use kratos::prelude::*;
use tokio::sync::Semaphore;

use crate::common::grpc_url;
use crate::curl;
use crate::process::python_client;

use crate::common::helloworld::*;

/// Counts the calls that reach the handler; holds those named `hold` until released.
struct Gate {
    served: AtomicUsize,
    held: AtomicUsize,
    release: Semaphore,
}

struct Hello(Arc<Gate>);

impl Greeter for Hello {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        self.0.served.fetch_add(1, Ordering::SeqCst);
        if req.name == "hold" {
            self.0.held.fetch_add(1, Ordering::SeqCst);
            self.0.release.acquire().await.unwrap().forget();
        }
        Ok(HelloReply {
            message: format!("Hello {}", req.name),
        })
    }
}

/// Go kratos's answer to a refused call, as its HTTP body.
fn refused() -> serde_json::Value {
    serde_json::json!({
        "code": 429,
        "reason": "RATELIMIT",
        "message": "service unavailable due to rate limit exceeded",
        "metadata": {},
    })
}

struct Server {
    app: RunningApp,
    gate: Arc<Gate>,
    bbr: Arc<Bbr>,
    /// The CPU usage the limiter reads, per mille.
    cpu: Arc<AtomicU64>,
}

impl Server {
    /// Both servers behind one BBR limiter, the CPU at `cpu` per mille, `timeout` per call.
    async fn start(cpu: u64, timeout: Duration) -> Self {
        let gate = Arc::new(Gate {
            served: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            release: Semaphore::new(0),
        });
        let cpu = Arc::new(AtomicU64::new(cpu));
        let bbr = Arc::new(Bbr::new(Options {
            cpu: Some(cpu.clone()),
            ..Options::default()
        }));
        let limit = ratelimit::server().limiter(bbr.clone());
        let app = App::builder()
            .handle_signals(false)
            .server(
                HttpServer::new()
                    .address("127.0.0.1:0")
                    .timeout(timeout)
                    .middleware(limit.clone()),
            )
            .server(
                GrpcServer::new()
                    .address("127.0.0.1:0")
                    .timeout(timeout)
                    .middleware(limit),
            )
            .service(GreeterServer::new(Hello(gate.clone())))
            .build()
            .start()
            .await
            .unwrap();
        Self {
            app,
            gate,
            bbr,
            cpu,
        }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/helloworld/{name}", self.app.endpoint("http").unwrap())
    }

    /// Starts `n` HTTP calls the handler holds, and waits until all are in it.
    async fn hold(&self, n: usize) -> Vec<tokio::task::JoinHandle<curl::Answer>> {
        let before = self.gate.held.load(Ordering::SeqCst);
        let calls = (0..n)
            .map(|_| {
                let url = self.url("hold");
                tokio::spawn(async move { curl::get(&url).await })
            })
            .collect();
        self.until(|s| s.gate.held.load(Ordering::SeqCst) == before + n)
            .await;
        calls
    }

    /// Waits until `done` holds; a guard against hanging, not a timing.
    async fn until(&self, done: impl Fn(&Self) -> bool) {
        tokio::time::timeout(Duration::from_secs(20), async {
            while !done(self) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the server got there");
    }

    /// One call over gRPC from a grpcio client: what it saw.
    async fn grpcio(&self, name: &str) -> serde_json::Value {
        let args = [
            self.app
                .endpoint("grpc")
                .unwrap()
                .trim_start_matches("grpc://")
                .to_owned(),
            name.to_owned(),
        ];
        // The client blocks; the server runs on this test's runtime.
        tokio::task::spawn_blocking(move || {
            let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
            python_client("ratelimit_client.py", &args)
        })
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn an_overloaded_server_refuses_calls_over_the_limit_on_both_transports_and_recovers() {
    let server = Server::start(1000, Duration::from_secs(60)).await;
    // Nothing learnt yet, the limit is 0: only "more than one in flight" holds calls back.
    let held = server.hold(2).await;
    assert_eq!(server.bbr.stat().in_flight, 2);
    assert_eq!(server.bbr.stat().max_in_flight, 0);

    let answer = curl::get(&server.url("kratos")).await;
    curl::assert_error(&answer, 429, "RATELIMIT");
    assert_eq!(answer.json(), refused());

    let seen = server.grpcio("kratos").await;
    assert_eq!(
        seen,
        serde_json::json!({
            "code": "RESOURCE_EXHAUSTED",
            "message": "service unavailable due to rate limit exceeded",
            "error_info": [{"reason": "RATELIMIT", "domain": "", "metadata": {}}],
        })
    );
    let client = GreeterClient::grpc(&grpc_url(&server.app)).unwrap();
    let err = client
        .say_hello(HelloRequest {
            name: "kratos".into(),
        })
        .await
        .unwrap_err();
    assert!(ratelimit::is_limit_exceeded(&err), "{err:?}");
    assert_eq!(
        server.gate.served.load(Ordering::SeqCst),
        2,
        "a refused call never reaches the handler"
    );

    // The load ends: the held calls finish and, CPU still high, one call at a time passes.
    server.gate.release.add_permits(2);
    for call in held {
        assert_eq!(call.await.unwrap().status, 200);
    }
    assert_eq!(server.bbr.stat().in_flight, 0);
    let answer = curl::get(&server.url("kratos")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["message"], "Hello kratos");
    assert_eq!(server.grpcio("kratos").await["code"], "OK");

    // The CPU falls back: a second after shedding began, calls in flight no longer count.
    server.cpu.store(100, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let held = server.hold(3).await;
    let answer = curl::get(&server.url("kratos")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    server.gate.release.add_permits(3);
    for call in held {
        assert_eq!(call.await.unwrap().status, 200);
    }
}

#[tokio::test]
async fn calls_cut_by_their_timeout_or_left_by_their_caller_end_in_the_limiter() {
    let server = Server::start(1000, Duration::from_millis(300)).await;
    // Never released: the server timeout answers them.
    for call in server.hold(2).await {
        curl::assert_error(&call.await.unwrap(), 504, "TIMEOUT");
    }
    assert_eq!(server.bbr.stat().in_flight, 0);
    // Still overloaded: were they still counted, two in flight would refuse this one.
    let answer = curl::get(&server.url("kratos")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());

    // A caller that leaves: its call's future is dropped with the connection.
    let callers = server.hold(2).await;
    assert_eq!(server.bbr.stat().in_flight, 2);
    for caller in callers {
        caller.abort();
    }
    server.until(|s| s.bbr.stat().in_flight == 0).await;
    let answer = curl::get(&server.url("kratos")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[tokio::test]
async fn under_the_cpu_threshold_nothing_is_refused() {
    let server = Server::start(799, Duration::from_secs(60)).await;
    let held = server.hold(20).await;
    let answer = curl::get(&server.url("kratos")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    server.gate.release.add_permits(20);
    for call in held {
        assert_eq!(call.await.unwrap().status, 200);
    }
}
