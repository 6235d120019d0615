// Misuse: #[middleware(...)] naming a value that is not a middleware.
#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

pub const AUDIT: u32 = 1;

#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    #[middleware(AUDIT)]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloRequest>;
}

fn main() {}
