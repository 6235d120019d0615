//! gRPC input a well-behaved gRPC client never sends, sent by hand over a real
//! HTTP/2 connection: hand-framed bodies and hand-written headers, answered with the
//! statuses gRPC clients expect, and the handler never runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use kratos::RunningApp;
use kratos::prelude::*;
use prost::Message as _;

use crate::common::grpc_url;

/// A message that holds itself, so its nesting is the sender's choice.
#[kratos::message]
pub struct Node {
    pub name: String,
    pub child: Option<Box<Node>>,
}

#[kratos::message]
pub struct Depth {
    pub depth: u32,
    pub name: String,
}

#[kratos::service(package = "input.v1")]
pub trait Tree {
    async fn measure(&self, req: Node) -> kratos::Result<Depth>;
}

/// Counts the calls that reached the handler.
#[derive(Default)]
struct TreeImpl {
    calls: AtomicUsize,
}

impl Tree for std::sync::Arc<TreeImpl> {
    async fn measure(&self, req: Node) -> kratos::Result<Depth> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut depth = 1;
        let mut node = &req;
        while let Some(child) = &node.child {
            depth += 1;
            node = child;
        }
        Ok(Depth {
            depth,
            name: req.name,
        })
    }
}

struct Server {
    app: RunningApp,
    service: std::sync::Arc<TreeImpl>,
}

impl Server {
    async fn start() -> Self {
        let service = std::sync::Arc::new(TreeImpl::default());
        let app = App::builder()
            .handle_signals(false)
            .server(GrpcServer::new().address("127.0.0.1:0"))
            .service(TreeServer::new(service.clone()))
            .build()
            .start()
            .await
            .expect("the app starts");
        Self { app, service }
    }

    fn calls(&self) -> usize {
        self.service.calls.load(Ordering::SeqCst)
    }

    fn url(&self) -> String {
        grpc_url(&self.app) + "/input.v1.Tree/Measure"
    }
}

/// One gRPC message frame: uncompressed flag, big-endian length, the bytes.
fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend((message.len() as u32).to_be_bytes());
    out.extend(message);
    out
}

/// What came back: the HTTP status, the gRPC status (from the headers of a
/// trailers-only answer or from the trailers) and the body.
struct Answer {
    http: u16,
    status: tonic::Status,
    body: Bytes,
}

impl Answer {
    /// The `google.rpc.ErrorInfo` detail of the status, decoded from
    /// `grpc-status-details-bin` without any kratos code.
    fn error_info(&self) -> ErrorInfo {
        let details = RpcStatus::decode(self.status.details()).expect("a google.rpc.Status");
        assert_eq!(details.code, self.status.code() as i32);
        let any = details
            .details
            .iter()
            .find(|d| d.type_url == "type.googleapis.com/google.rpc.ErrorInfo")
            .expect("an ErrorInfo detail");
        ErrorInfo::decode(any.value.as_slice()).expect("an ErrorInfo")
    }
}

/// Sends `body` as the request of `Measure` over HTTP/2 (prior knowledge), with
/// `content_type` when given.
async fn call(url: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(url)
        .header("te", "trailers");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    let sent = async {
        let response = client.request(request).await.expect("an HTTP/2 answer");
        let http = response.status().as_u16();
        let headers = response.headers().clone();
        let collected = response.into_body().collect().await.expect("the body");
        let trailers = collected.trailers().cloned();
        let status = tonic::Status::from_header_map(&headers)
            .or_else(|| trailers.as_ref().and_then(tonic::Status::from_header_map))
            .expect("a grpc-status in the headers or the trailers");
        Answer {
            http,
            status,
            body: collected.to_bytes(),
        }
    };
    tokio::time::timeout(Duration::from_secs(30), sent)
        .await
        .expect("an answer, not a stall")
}

fn node(name: &str) -> Node {
    Node {
        name: name.into(),
        child: None,
    }
}

#[tokio::test]
async fn a_well_formed_call_is_answered() {
    let server = Server::start().await;
    for content_type in ["application/grpc", "application/grpc+proto"] {
        let tree = Node {
            name: "root".into(),
            child: Some(Box::new(node("leaf"))),
        };
        let answer = call(
            &server.url(),
            Some(content_type),
            frame(&tree.encode_to_vec()),
        )
        .await;
        assert_eq!(answer.http, 200);
        assert_eq!(answer.status.code(), tonic::Code::Ok, "{content_type}");
        let length = u32::from_be_bytes(answer.body[1..5].try_into().unwrap()) as usize;
        assert_eq!((answer.body[0], length), (0, answer.body.len() - 5));
        let reply = Depth::decode(&answer.body[5..]).expect("a Depth reply");
        assert_eq!(
            reply,
            Depth {
                depth: 2,
                name: "root".into()
            }
        );
    }
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn an_undecodable_message_is_invalid_argument_with_reason_codec() {
    let server = Server::start().await;
    // Field 1 (name) claims 100 bytes and three follow; then bytes that are no field at all.
    for garbage in [&[0x0a, 100, b'a', b'b', b'c'][..], &[0xff; 16][..]] {
        let answer = call(&server.url(), Some("application/grpc"), frame(garbage)).await;
        assert_eq!(
            answer.status.code(),
            tonic::Code::InvalidArgument,
            "{:?}",
            answer.status
        );
        assert!(
            answer.status.message().starts_with("request unmarshal: "),
            "{:?}",
            answer.status.message()
        );
        let info = answer.error_info();
        assert_eq!((info.reason.as_str(), info.domain.as_str()), ("CODEC", ""));
    }
    assert_eq!(server.calls(), 0);
}

#[tokio::test]
async fn a_deeply_nested_message_is_invalid_argument_with_reason_codec() {
    let server = Server::start().await;
    let answer = call(
        &server.url(),
        Some("application/grpc"),
        frame(&nested(100_000)),
    )
    .await;
    assert_eq!(
        answer.status.code(),
        tonic::Code::InvalidArgument,
        "{:?}",
        answer.status
    );
    assert_eq!(answer.error_info().reason, "CODEC");
    assert_eq!(server.calls(), 0);
    // The server is still there.
    let answer = call(
        &server.url(),
        Some("application/grpc"),
        frame(&node("after").encode_to_vec()),
    )
    .await;
    assert_eq!(answer.status.code(), tonic::Code::Ok);
}

/// The encoding of a `Node` chain `depth` levels deep: every level is field 2
/// (`child`) holding the next, written outermost first.
fn nested(depth: usize) -> Vec<u8> {
    // lengths[k] is the encoded length of a chain k levels below the outermost's child.
    let mut lengths = vec![0usize; depth];
    for k in 1..depth {
        lengths[k] = 1 + varint(lengths[k - 1] as u64).len() + lengths[k - 1];
    }
    let mut out = Vec::with_capacity(lengths[depth - 1] + 8);
    for k in (0..depth - 1).rev() {
        out.push(0x12);
        out.extend(varint(lengths[k] as u64));
    }
    out
}

fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[tokio::test]
async fn a_unary_call_with_two_request_messages_is_a_cardinality_violation() {
    let server = Server::start().await;
    let mut body = frame(&node("one").encode_to_vec());
    body.extend(frame(&node("two").encode_to_vec()));
    let answer = call(&server.url(), Some("application/grpc"), body).await;
    // grpc-go and grpc-java answer INTERNAL for a second request message on a unary call.
    assert_eq!(
        answer.status.code(),
        tonic::Code::Internal,
        "{:?}",
        answer.status
    );
    assert!(
        answer
            .status
            .message()
            .contains("more than one request message"),
        "{:?}",
        answer.status.message()
    );
    assert_eq!(server.calls(), 0, "the handler never sees a truncated call");
}

#[tokio::test]
async fn a_content_type_that_is_not_grpc_proto_is_415_invalid_argument() {
    let server = Server::start().await;
    let body = frame(&node("x").encode_to_vec());
    for content_type in [
        Some("application/json"),
        Some("application/grpc+json"),
        Some("text/plain"),
        None,
    ] {
        let answer = call(&server.url(), content_type, body.clone()).await;
        assert_eq!(answer.http, 415, "{content_type:?}");
        assert_eq!(
            answer.status.code(),
            tonic::Code::InvalidArgument,
            "{content_type:?}"
        );
        assert!(
            answer
                .status
                .message()
                .starts_with("invalid gRPC request content-type"),
            "{:?}",
            answer.status.message()
        );
        assert_eq!(answer.error_info().reason, "CODEC", "{content_type:?}");
    }
    assert_eq!(server.calls(), 0);
}

/// `google.rpc.Status`, as the detail header carries it.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `google.rpc.ErrorInfo`.
#[derive(Clone, PartialEq, prost::Message)]
struct ErrorInfo {
    #[prost(string, tag = "1")]
    reason: String,
    #[prost(string, tag = "2")]
    domain: String,
    #[prost(map = "string, string", tag = "3")]
    metadata: std::collections::HashMap<String, String>,
}
