// Misuse: a per-route body limit that is not a size.
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
    #[route(post = "/helloworld", body = "*", max_body = "64 megs")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
