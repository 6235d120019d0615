//! SIGTERM while calls are in flight: both transports finish them, then the app
//! stops cleanly. A test binary of its own, not a module of `tests/it`, because it
//! signals its own process.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kratos::prelude::*;
use tokio::sync::Semaphore;

#[kratos::message]
pub struct Job {
    pub id: String,
}

#[kratos::service(package = "test.v1")]
pub trait Worker {
    #[route(post = "/v1/jobs", body = "*")]
    async fn run(&self, job: Job) -> kratos::Result<Job>;
}

/// Holds every call until the test releases it, and says when calls have arrived.
struct Held {
    arrived: Arc<Semaphore>,
    release: Arc<Semaphore>,
}

impl Worker for Held {
    async fn run(&self, job: Job) -> kratos::Result<Job> {
        self.arrived.add_permits(1);
        self.release.acquire().await.expect("open").forget();
        Ok(Job {
            id: format!("done {}", job.id),
        })
    }
}

#[tokio::test]
async fn sigterm_lets_in_flight_calls_finish_then_stops() {
    let arrived = Arc::new(Semaphore::new(0));
    let release = Arc::new(Semaphore::new(0));
    let stopped_cleanly = Arc::new(AtomicBool::new(false));
    let flag = stopped_cleanly.clone();
    let running = App::builder()
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .timeout(std::time::Duration::from_secs(30)),
        )
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .timeout(std::time::Duration::from_secs(30)),
        )
        .service(WorkerServer::new(Held {
            arrived: arrived.clone(),
            release: release.clone(),
        }))
        .after_stop(move || async move {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        })
        .build()
        .start()
        .await
        .unwrap();
    let http_addr = running
        .endpoint("http")
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    let http = WorkerClient::http(running.endpoint("http").unwrap())
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(30));
    let grpc_url = running
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    let grpc = WorkerClient::grpc(&grpc_url)
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(30));
    let app = tokio::spawn(running.wait());

    let over_http = tokio::spawn(async move { http.run(Job { id: "h".into() }).await });
    let over_grpc = tokio::spawn(async move { grpc.run(Job { id: "g".into() }).await });
    // Both calls are inside the handler before the signal is sent.
    let _ = arrived.acquire_many(2).await.unwrap();

    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // The signal is handled: the listener closes while both calls are still held.
    let mut closed = false;
    for _ in 0..1000 {
        if tokio::net::TcpStream::connect(&http_addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(closed, "the server stops accepting after SIGTERM");
    assert!(
        !stopped_cleanly.load(Ordering::SeqCst),
        "the app waits for in-flight calls"
    );
    release.add_permits(2);

    assert_eq!(over_http.await.unwrap().unwrap().id, "done h");
    assert_eq!(over_grpc.await.unwrap().unwrap().id, "done g");
    app.await.unwrap().expect("the app stops without error");
    assert!(stopped_cleanly.load(Ordering::SeqCst), "after_stop ran");
}

#[tokio::test]
async fn calls_still_running_at_the_stop_timeout_are_dropped() {
    let arrived = Arc::new(Semaphore::new(0));
    let never = Arc::new(Semaphore::new(0));
    let app = App::builder()
        .handle_signals(false)
        .stop_timeout(std::time::Duration::from_millis(200))
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .timeout(std::time::Duration::from_secs(60)),
        )
        .service(WorkerServer::new(Held {
            arrived: arrived.clone(),
            release: never.clone(),
        }))
        .build();
    let handle = app.handle();
    let running = app.start().await.unwrap();
    let http = WorkerClient::http(running.endpoint("http").unwrap())
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(60));
    let stopped = tokio::spawn(running.wait());
    let call = tokio::spawn(async move { http.run(Job { id: "stuck".into() }).await });
    let _ = arrived.acquire().await.unwrap();

    handle.stop();
    stopped
        .await
        .unwrap()
        .expect("the app stops after the stop timeout");
    let err = call
        .await
        .unwrap()
        .expect_err("the unfinished call is dropped, not answered");
    assert_eq!(err.code, 503, "{err}");
}
