// Misuse: a dotted path variable naming a field the inner message lacks.
#[kratos::message]
pub struct Name {
    pub first: String,
}

#[kratos::message]
pub struct HelloRequest {
    pub name: Option<Name>,
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
}

#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    #[route(get = "/helloworld/{name.frist}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
