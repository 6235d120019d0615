// Misuse: a dotted path variable that continues past a string field.
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
    #[route(get = "/helloworld/{name.first}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

fn main() {}
