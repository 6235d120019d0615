//! The greeter use case and the repository it needs.

use std::future::Future;

use crate::api::GreeterError;

/// A greeting, as the business layer sees it.
#[derive(Clone, Debug)]
pub struct Greeter {
    /// Who is greeted.
    pub hello: String,
}

/// Where greetings are kept: implemented by the data layer, handed in by `main`.
pub trait GreeterRepo: Send + Sync + 'static {
    /// Keeps `g` and gives it back as stored.
    fn save(&self, g: Greeter) -> impl Future<Output = kratos::Result<Greeter>> + Send;
}

/// The greeter use case.
pub struct GreeterUsecase<R> {
    repo: R,
}

impl<R: GreeterRepo> GreeterUsecase<R> {
    /// The use case over the repository `repo`.
    pub fn new(repo: R) -> Self {
        Self { repo }
    }

    /// Greets `g.hello` and keeps the greeting; `unknown` is nobody's name: 404
    /// `USER_NOT_FOUND` (a typed error of the API, for a client to tell apart).
    pub async fn create_greeter(&self, g: Greeter) -> kratos::Result<Greeter> {
        if g.hello == "unknown" {
            return Err(GreeterError::UserNotFound { name: g.hello }.into());
        }
        self.repo.save(g).await
    }
}
