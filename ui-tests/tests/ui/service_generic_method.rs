// Misuse: a generic service method.
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
    async fn say_hello<R>(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
