// Misuse: package = on an impl block.
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

#[derive(Default)]
pub struct GreeterImpl;

#[kratos::service(package = "helloworld.v1")]
impl Greeter for GreeterImpl {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply { message: req.name })
    }
}

fn main() {}
