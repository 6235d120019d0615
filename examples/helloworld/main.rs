//! The Go kratos helloworld, in Rust: `Greeter.SayHello` over HTTP
//! (`GET /helloworld/{name}` on :8000) and gRPC (`/helloworld.v1.Greeter/SayHello` on :9000).
//!
//! ```text
//! cargo run --example helloworld -- -conf examples/helloworld/configs
//! curl http://127.0.0.1:8000/helloworld/kratos
//! ```

use kratos::prelude::*;

/// The request of `SayHello`.
#[kratos::message]
pub struct HelloRequest {
    /// Who to greet.
    pub name: String,
}

/// The reply of `SayHello`.
#[kratos::message]
pub struct HelloReply {
    /// The greeting.
    pub message: String,
}

/// The greeting service.
#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    /// Greets `name`.
    #[route(get = "/helloworld/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// The implementation: registered for `#[kratos::main]` by the attribute on its impl.
#[derive(Default)]
pub struct GreeterImpl;

#[kratos::service]
impl Greeter for GreeterImpl {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        if req.name == "error" {
            return Err(Error::not_found(
                "USER_NOT_FOUND",
                format!("user not found: {}", req.name),
            ));
        }
        Ok(HelloReply {
            message: format!("Hello {}", req.name),
        })
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    Ok(app.build())
}
