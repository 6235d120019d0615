//! The API: what clients see, served over HTTP and gRPC and exported as `.proto`
//! (`cargo run -- -export-proto api/`). `kratos proto import` writes Rust here from
//! existing `.proto` files.

mod greeter;

pub use greeter::{Greeter, GreeterError, GreeterServer, HelloReply, HelloRequest};
