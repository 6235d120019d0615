//! `Greeter`, served by the greeter use case.

use crate::api::{Greeter, HelloReply, HelloRequest};
use crate::biz::{self, GreeterRepo, GreeterUsecase};

/// The `Greeter` implementation, handed its use case (and so its repository) by `main`.
pub struct GreeterService<R> {
    uc: GreeterUsecase<R>,
}

impl<R: GreeterRepo> GreeterService<R> {
    /// The service over the use case `uc`.
    pub fn new(uc: GreeterUsecase<R>) -> Self {
        Self { uc }
    }
}

impl<R: GreeterRepo> Greeter for GreeterService<R> {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        let greeter = self
            .uc
            .create_greeter(biz::Greeter { hello: req.name })
            .await?;
        Ok(HelloReply {
            message: format!("Hello {}", greeter.hello),
        })
    }
}
