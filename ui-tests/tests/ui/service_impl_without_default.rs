// Misuse: #[kratos::service] on the impl of a type that needs its dependencies
// (no Default, no config = "..").
use std::sync::Arc;

#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
}

#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

pub struct Repo;

pub struct GreeterImpl {
    repo: Arc<Repo>,
}

#[kratos::service]
impl Greeter for GreeterImpl {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        let _ = &self.repo;
        Ok(HelloReply { message: req.name })
    }
}

fn main() {}
