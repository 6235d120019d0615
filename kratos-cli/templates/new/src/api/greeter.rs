//! `helloworld.v1.Greeter`: its messages, its errors and the service trait.

/// The request of `SayHello`.
#[kratos::message]
pub struct HelloRequest {
    /// Who to greet: 1 to 64 characters.
    #[rule(len(1..=64))]
    pub name: String,
}

/// The reply of `SayHello`.
#[kratos::message]
pub struct HelloReply {
    /// The greeting.
    pub message: String,
}

/// The greeting service.
#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    /// Greets `name`.
    #[route(get = "/helloworld/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// The errors of the API, with their HTTP code and reason (Go kratos's error enum).
#[kratos::error_code]
pub enum GreeterError {
    /// No such user: 404, reason `USER_NOT_FOUND`.
    #[code(404)]
    #[error("user not found: {name}")]
    UserNotFound {
        /// Who was looked for.
        #[metadata]
        name: String,
    },
}
