//! A balanced client retries a call on another node only when its node could not
//! be reached; an answer, a 503 without a reason included (a proxy, a Go service,
//! a busy kratos handler), is never sent twice: the call may already have run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kratos::NodeUnreachable;
use kratos::prelude::*;

#[kratos::message]
pub struct WorkRequest {
    pub job: String,
}

#[kratos::message]
pub struct WorkReply {
    pub node: String,
}

#[kratos::service(package = "retry.v1")]
pub trait Work {
    #[route(post = "/v1/work", body = "*")]
    async fn work(&self, req: WorkRequest) -> kratos::Result<WorkReply>;
}

/// A node that counts the calls it runs and answers each with a plain 503, as an
/// overloaded Go service or a proxy in front of one would; or serves them.
struct Node {
    name: &'static str,
    busy: bool,
    runs: Arc<AtomicUsize>,
}

impl Work for Node {
    async fn work(&self, _req: WorkRequest) -> kratos::Result<WorkReply> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if self.busy {
            return Err(Error::service_unavailable("", "too busy, try later"));
        }
        Ok(WorkReply {
            node: self.name.to_owned(),
        })
    }
}

async fn node(name: &'static str, busy: bool, runs: &Arc<AtomicUsize>) -> kratos::RunningApp {
    App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(WorkServer::new(Node {
            name,
            busy,
            runs: runs.clone(),
        }))
        .build()
        .start()
        .await
        .unwrap()
}

fn address(app: &kratos::RunningApp, scheme: &str) -> String {
    let endpoint = app.endpoint(scheme).unwrap();
    endpoint.split_once("://").unwrap().1.to_owned()
}

fn client(scheme: &str, target: &str) -> WorkClient {
    let client = match scheme {
        "http" => kratos::Client::http(target),
        _ => kratos::Client::grpc(target),
    };
    WorkClient::new(client.unwrap().with_timeout(Duration::from_secs(10)))
}

/// A port nothing listens on: bound, then closed.
fn dead_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

fn job() -> WorkRequest {
    WorkRequest { job: "once".into() }
}

#[tokio::test]
async fn a_503_answer_is_returned_as_is_and_runs_the_call_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let a = node("a", true, &runs).await;
    let b = node("b", true, &runs).await;
    for scheme in ["http", "grpc"] {
        runs.store(0, Ordering::SeqCst);
        let target = format!("direct:///{},{}", address(&a, scheme), address(&b, scheme));
        let client = client(scheme, &target);
        for _ in 0..10 {
            let err = client.work(job()).await.unwrap_err();
            assert_eq!(
                (err.code, err.reason.as_str(), err.message.as_str()),
                (503, "", "too busy, try later"),
                "{scheme}"
            );
            assert!(
                !NodeUnreachable::is(&err),
                "{scheme}: an answer is not a dead node"
            );
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            10,
            "{scheme}: every call ran exactly once, none was retried on the other node"
        );
    }
}

#[tokio::test]
async fn an_unreachable_node_is_its_own_error_and_the_call_moves_on() {
    let runs = Arc::new(AtomicUsize::new(0));
    let live = node("live", false, &runs).await;
    for scheme in ["http", "grpc"] {
        let dead = dead_address();
        let alone = client(scheme, &format!("{scheme}://{dead}"))
            .work(job())
            .await
            .unwrap_err();
        assert_eq!((alone.code, alone.reason.as_str()), (503, ""), "{scheme}");
        assert!(
            NodeUnreachable::is(&alone),
            "{scheme}: a refused connection is NodeUnreachable: {}",
            alone.message
        );
        let target = format!("direct:///{dead},{}", address(&live, scheme));
        let client = client(scheme, &target);
        for _ in 0..20 {
            let reply = client.work(job()).await.unwrap();
            assert_eq!(reply.node, "live", "{scheme}");
        }
    }
}
