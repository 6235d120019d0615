//! Greeter.SayHello as a hand-written tonic server: what a user writes instead of
//! kratos for the gRPC method `/helloworld.v1.Greeter/SayHello`. The messages are
//! prost derives and the service is the code tonic-build would generate, trimmed to
//! one unary method, so nothing needs `protoc` or a build script.
//!
//! ```text
//! cargo run --release -p kratos-bench --bin raw_tonic -- 127.0.0.1:19001
//! ```

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

#[derive(Default)]
pub struct Greeter;

impl Greeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(HelloReply {
            message: format!("Hello {name}"),
        }))
    }
}

/// The tower service tonic routes `helloworld.v1.Greeter` calls to.
#[derive(Clone)]
pub struct GreeterServer {
    inner: Arc<Greeter>,
}

impl NamedService for GreeterServer {
    const NAME: &'static str = "helloworld.v1.Greeter";
}

struct SayHello(Arc<Greeter>);

impl UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = BoxFuture<Response<HelloReply>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.say_hello(request).await })
    }
}

impl Service<http::Request<Body>> for GreeterServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        match request.uri().path() {
            "/helloworld.v1.Greeter/SayHello" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(SayHello(inner), request).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("unknown method").into_http()) }),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), tonic::transport::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:19001".to_owned())
        .parse()
        .expect("an address such as 127.0.0.1:19001");
    let greeter = GreeterServer {
        inner: Arc::new(Greeter),
    };
    println!("raw_tonic listening on {addr}");
    tonic::transport::Server::builder()
        .add_service(greeter)
        .serve(addr)
        .await
}
