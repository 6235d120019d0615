// Misuse: #[middleware(...)] naming a middleware that does not exist.
use kratos::prelude::*;

#[kratos::middleware]
pub async fn auth(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error> {
    next.run(ctx, req).await
}

#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    #[route(get = "/helloworld/{name}")]
    #[middleware(auth, audit)]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloRequest>;
}

fn main() {}
