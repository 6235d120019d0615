// A complete valid use of every macro except #[kratos::main], in a crate that
// depends on kratos (and tokio, serde) only: no axum, tonic or prost.
use kratos::prelude::*;

#[kratos::message]
pub struct Page {
    pub number: u32,
}

#[kratos::message]
pub struct HelloRequest {
    pub name: String,
    pub tags: Vec<String>,
    pub page: Option<Page>,
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
}

#[kratos::error_code(default = 500)]
pub enum GreeterError {
    #[code(404)]
    #[error("user not found: {name}")]
    UserNotFound { name: String },
}

#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    #[route(get = "/helloworld/{name}")]
    #[route(post = "/helloworld/{page.number}", body = "*", status = 201)]
    async fn say_hello(&self, ctx: &Context, req: HelloRequest) -> kratos::Result<HelloReply>;

    async fn grpc_only(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

#[derive(Default)]
pub struct GreeterImpl;

#[kratos::service]
impl Greeter for GreeterImpl {
    async fn say_hello(&self, _ctx: &Context, req: HelloRequest) -> kratos::Result<HelloReply> {
        Err(GreeterError::UserNotFound { name: req.name }.into())
    }

    async fn grpc_only(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        if req.name.is_empty() {
            Err(GreeterError::UserNotFound { name: req.name.clone() })?;
        }
        Ok(HelloReply { message: req.name })
    }
}

fn main() {
    let _app = App::builder().service(GreeterImpl).build();
    let _client = GreeterClient::http("http://127.0.0.1:8000");
}
