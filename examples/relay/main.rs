//! A second hop: the helloworld API served by calling another Greeter. A request
//! to `GET /helloworld/{name}` here becomes a gRPC `SayHello` to the server at the
//! config key `relay.target` (default `grpc://127.0.0.1:9000`, the helloworld
//! example), and its answer (or error) comes back unchanged.
//!
//! ```text
//! cargo run --example helloworld -- -conf examples/helloworld/configs
//! cargo run --example relay -- -conf examples/relay/configs
//! curl http://127.0.0.1:8001/helloworld/kratos     # 200 {"message":"Hello kratos"}, via :9000
//! ```
//!
//! With a `tracing` section in both configs, the two calls are one trace: the
//! client `main` builds here carries the trace of the call being served.

use kratos::prelude::*;

#[path = "../helloworld/api.rs"]
pub mod api;

pub use api::{Greeter, GreeterClient, GreeterServer, HelloReply, HelloRequest};

/// Answers every call by making it to the next Greeter.
pub struct Relay {
    next: GreeterClient,
}

impl Greeter for Relay {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        self.next.say_hello(req).await
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let target: String = app
        .loaded_config()
        .get("relay.target")?
        .unwrap_or_else(|| "grpc://127.0.0.1:9000".to_owned());
    let next = GreeterClient::grpc(&target)?;
    Ok(app.service(GreeterServer::new(Relay { next })).build())
}
