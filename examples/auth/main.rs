//! The helloworld Greeter behind JWT: `GET /helloworld/{name}` and
//! `/helloworld.v1.Greeter/SayHello` answer only with `Authorization: Bearer <token>`
//! (HS256, the secret at the config key `auth.key`), and `POST /auth/login`
//! (`/auth.v1.Auth/Login`), which needs no token, hands one out for the password at
//! `auth.password`.
//!
//! ```text
//! cargo run --example auth -- -conf examples/auth/configs
//! curl http://127.0.0.1:8000/helloworld/kratos          # 401 JWT token is missing
//! TOKEN=$(curl -s -d '{"user":"ada","password":"kratos"}' http://127.0.0.1:8000/auth/login | jq -r .token)
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/helloworld/kratos   # 200
//! ```
//!
//! The middleware is the greeter's own (`GreeterServer::new(..).middleware(..)`), so
//! `Login` is outside it. Without code, `middleware.jwt` in the config puts the same
//! check on every service, with `exempt` naming the operations left out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kratos::middleware::jwt::{self, DecodingKey, EncodingKey};
use kratos::prelude::*;

#[path = "../helloworld/api.rs"]
pub mod api;

pub use api::{Greeter, GreeterServer, HelloReply, HelloRequest};

/// Who logs in.
#[kratos::message]
pub struct LoginRequest {
    /// The user name, the token's subject.
    pub user: String,
    /// The password.
    pub password: String,
}

/// A token for the other calls.
#[kratos::message]
pub struct LoginReply {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Hands out tokens.
#[kratos::service(package = "auth.v1")]
pub trait Auth {
    /// A token for `user`, valid for an hour, when the password is right.
    #[route(post = "/auth/login", body = "*")]
    async fn login(&self, ctx: &Context, req: LoginRequest) -> kratos::Result<LoginReply>;
}

/// The claims of the tokens `Login` signs.
#[derive(serde::Serialize)]
struct Claims {
    sub: String,
    exp: u64,
}

/// Signs tokens with the secret.
pub struct AuthImpl {
    key: EncodingKey,
    password: String,
}

impl Auth for AuthImpl {
    async fn login(&self, ctx: &Context, req: LoginRequest) -> kratos::Result<LoginReply> {
        if req.user.is_empty() || req.password != self.password {
            return Err(Error::unauthorized(
                "UNAUTHORIZED",
                "wrong user or password",
            ));
        }
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(Duration::from_secs(3600))
            .as_secs();
        let user = req.user;
        let token = jwt::client(self.key.clone())
            .claims(move |_| Claims {
                sub: user.clone(),
                exp,
            })
            .token(ctx)?;
        Ok(LoginReply { token })
    }
}

/// Greets whoever holds a token.
pub struct Hello;

impl Greeter for Hello {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply {
            message: format!("Hello {}", req.name),
        })
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let config = app.loaded_config();
    let secret: String = config.get("auth.key")?.ok_or_else(|| {
        Error::internal_server(
            "CONFIG",
            "config key \"auth.key\" is missing: the HS256 secret",
        )
    })?;
    let password: String = config
        .get("auth.password")?
        .unwrap_or_else(|| "kratos".into());
    let invalid = |e| Error::internal_server("CONFIG", format!("config key \"auth.key\": {e}"));
    let verify = jwt::server(DecodingKey::from_secret(secret.as_bytes()).map_err(invalid)?);
    let key = EncodingKey::from_secret(secret.as_bytes()).map_err(invalid)?;
    Ok(app
        .service(GreeterServer::new(Hello).middleware(verify))
        .service(AuthServer::new(AuthImpl { key, password }))
        .build())
}
