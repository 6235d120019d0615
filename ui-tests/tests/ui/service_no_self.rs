// Misuse: a service method without &self.
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
    async fn say_hello(req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
