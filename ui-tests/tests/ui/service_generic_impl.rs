// Misuse: `#[kratos::service]` on a generic impl.
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
pub struct GreeterImpl<T>(T);

#[kratos::service]
impl<T: Default + Send + Sync + 'static> Greeter for GreeterImpl<T> {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply { message: req.name })
    }
}

fn main() {}
