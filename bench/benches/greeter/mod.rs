//! The Greeter every per-call bench serves: its messages, its trait, the marker
//! of `SayHello` that `invoke` takes, and the current-thread runtime each
//! iteration runs on. Each bench writes its own `impl Greeter`.
#![allow(dead_code)] // each bench uses part of it

#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
}

#[kratos::service(package = "bench.v1")]
pub trait Greeter {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// The marker of `Greeter.SayHello`, as `invoke::<SayHello, _>` names it.
pub type SayHello = __kratos_Greeter_SayHello;

/// A current-thread runtime with timers, as each bench iteration runs on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// The request every call sends.
pub fn request() -> HelloRequest {
    HelloRequest {
        name: String::from("kratos"),
    }
}
