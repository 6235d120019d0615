//! Dependency injection: a service that needs something built at start-up (here a
//! user repository; in a real service a database pool or a client) is handed it
//! through `new` and added in `main` with `app.service(..)`, with no
//! `#[kratos::service]` on its impl. It is served, exported, reflected and
//! documented like an annotated one.
//!
//! ```text
//! cargo run --example injection                          # HTTP :8000, gRPC :9000
//! curl http://127.0.0.1:8000/v1/users/1                  # {"id":"1","name":"Ada"}
//! cargo run --example injection -- -export-proto api/    # api/injection/v1/users.proto
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use kratos::prelude::*;

/// The request of `GetUser`.
#[kratos::message]
pub struct GetUserRequest {
    /// The user's id.
    pub id: String,
}

/// A user.
#[kratos::message]
pub struct User {
    /// The user's id.
    pub id: String,
    /// The user's name.
    pub name: String,
}

/// Looks users up.
#[kratos::service(package = "injection.v1")]
pub trait Users {
    /// The user with this id, or 404 `USER_NOT_FOUND`.
    #[route(get = "/v1/users/{id}")]
    async fn get_user(&self, req: GetUserRequest) -> kratos::Result<User>;
}

/// Where users live: the dependency the service is handed.
pub trait UserRepo: Send + Sync + 'static {
    /// The name of the user with this id.
    fn name(&self, id: &str) -> Option<String>;
}

/// A repository in memory, standing in for a database.
pub struct MemoryRepo(HashMap<String, String>);

impl UserRepo for MemoryRepo {
    fn name(&self, id: &str) -> Option<String> {
        self.0.get(id).cloned()
    }
}

/// The service: it cannot be built with `Default`, so it is added by hand in `main`.
pub struct UsersImpl {
    repo: Arc<dyn UserRepo>,
}

impl UsersImpl {
    /// The service over `repo`.
    pub fn new(repo: Arc<dyn UserRepo>) -> Self {
        Self { repo }
    }
}

impl Users for UsersImpl {
    async fn get_user(&self, req: GetUserRequest) -> kratos::Result<User> {
        let name = self.repo.name(&req.id).ok_or_else(|| {
            kratos::Error::not_found("USER_NOT_FOUND", format!("no user {}", req.id))
        })?;
        Ok(User { id: req.id, name })
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let repo = MemoryRepo(HashMap::from([("1".to_owned(), "Ada".to_owned())]));
    Ok(app
        .service(UsersServer::new(UsersImpl::new(Arc::new(repo))))
        .build())
}
