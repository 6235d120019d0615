// Misuse: a variable followed by a custom verb in its segment (`{login}:ban`), which the router cannot match.
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
    #[route(post = "/v1/users/{name}:ban")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
