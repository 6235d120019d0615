// Misuse: two routes on one path and verb.
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
    #[route(get = "/helloworld/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;

    #[route(get = "/helloworld/{name}")]
    async fn say_hi(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
