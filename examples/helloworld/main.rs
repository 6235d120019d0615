//! The Go kratos helloworld, in Rust: `Greeter.SayHello` over HTTP
//! (`GET /helloworld/{name}` on :8000) and gRPC (`/helloworld.v1.Greeter/SayHello` on :9000).
//!
//! ```text
//! cargo run --example helloworld -- -conf examples/helloworld/configs
//! curl http://127.0.0.1:8000/helloworld/kratos     # 200 {"message":"Hello kratos"}
//! curl http://127.0.0.1:8000/helloworld/unknown    # 404 USER_NOT_FOUND
//! curl http://127.0.0.1:8000/helloworld/panic      # 500 UNKNOWN, and the server keeps serving
//! ```
//!
//! The greeting is the config key `helloworld.greeting` (default `Hello`): edit it in
//! the file given with `-conf` and the next reply uses it, without a restart.

use kratos::prelude::*;

pub mod api;

pub use api::{Greeter, GreeterError, GreeterServer, HelloReply, HelloRequest};

/// The implementation, handed its greeting by `main`.
pub struct GreeterImpl {
    /// `helloworld.greeting`, kept current as the config file changes.
    greeting: kratos::Atomic<String>,
}

impl Greeter for GreeterImpl {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        // Inside the call: with traces on, this line carries its trace_id and span_id.
        tracing::debug!(name = %req.name, "greeting");
        match req.name.as_str() {
            "unknown" => return Err(GreeterError::UserNotFound { name: req.name }.into()),
            "panic" => panic!("the greeter was asked to panic"),
            _ => {}
        }
        // `load` reads the current greeting without taking a reference count, and
        // `join` sizes the message once.
        let greeting = self.greeting.load();
        Ok(HelloReply {
            message: [greeting.as_str(), &req.name].join(" "),
        })
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let greeting = app
        .loaded_config()
        .atomic_or("helloworld.greeting", "Hello".to_owned())?;
    let greeter = GreeterImpl { greeting };
    Ok(app.service(GreeterServer::new(greeter)).build())
}
