// Misuse: a request type without #[kratos::message]; one error says to add it,
// and the route naming its field adds none.
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
}

fn main() {}
