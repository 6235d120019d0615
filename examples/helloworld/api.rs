//! The helloworld API: `Greeter.SayHello`, its messages and its errors, as Go
//! kratos's helloworld declares them in `helloworld.proto`. The relay example
//! serves the same API.

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

/// The errors of the greeter, as Go kratos declares them in a proto enum.
#[kratos::error_code]
pub enum GreeterError {
    /// No such user.
    #[code(404)]
    #[error("user not found: {name}")]
    UserNotFound {
        /// Who was looked for.
        name: String,
    },
}
