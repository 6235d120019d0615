//! The client side: signs a fresh token per call and sends it as
//! `Authorization: Bearer <token>`, as Go kratos's `jwt.Client` does.
//!
//! The token is laid out as golang-jwt lays it out (header keys sorted,
//! `{"alg":"HS256","typ":"JWT"}` by default, no padding), so for the same claims
//! and an HMAC or RSA key it is byte for byte the token a Go client sends.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderValue;
use http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde::Serialize;
use serde_json::Value;

use super::errors;
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;
use crate::middleware::{Middleware, Next, Reply, Request};

type ClaimsFn = Arc<dyn Fn(&Context) -> serde_json::Result<Vec<u8>> + Send + Sync>;
type KeyFn = Arc<dyn Fn(&Context) -> Option<EncodingKey> + Send + Sync>;

#[derive(Clone)]
enum SigningKey {
    One(EncodingKey),
    Chosen(KeyFn),
}

/// The JWT client middleware.
#[derive(Clone)]
pub struct Client {
    key: SigningKey,
    algorithm: Algorithm,
    fields: BTreeMap<String, Value>,
    /// The first segment, encoded once: it changes only with the builder.
    header: String,
    claims: ClaimsFn,
}

/// Signs a token per call with `key`, HS256 and empty claims (`{}`) unless
/// [`Client::algorithm`] and [`Client::claims`] say otherwise: Go kratos's defaults.
pub fn client(key: EncodingKey) -> Client {
    Client::new(SigningKey::One(key))
}

/// As [`client`], with the key chosen per call (by its operation or endpoint);
/// `None` fails the call with `Can not get key while signing token`.
pub fn client_with_keys(
    choose: impl Fn(&Context) -> Option<EncodingKey> + Send + Sync + 'static,
) -> Client {
    Client::new(SigningKey::Chosen(Arc::new(choose)))
}

impl Client {
    fn new(key: SigningKey) -> Self {
        let mut client = Self {
            key,
            algorithm: Algorithm::HS256,
            fields: BTreeMap::new(),
            header: String::new(),
            claims: Arc::new(|_| Ok(b"{}".to_vec())),
        };
        client.encode_header();
        client
    }

    /// The algorithm tokens are signed with; the key must be of its family.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self.encode_header();
        self
    }

    /// Adds a field to the token's header, such as `kid` (Go's `WithTokenHeader`);
    /// it overrides `alg` and `typ` too, as in Go.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self.encode_header();
        self
    }

    /// The claims of each call's token, from its context (Go's `WithClaims`);
    /// claims that do not serialize fail the call with `Can not sign token.Is the key correct?`.
    pub fn claims<C: Serialize>(
        mut self,
        claims: impl Fn(&Context) -> C + Send + Sync + 'static,
    ) -> Self {
        self.claims = Arc::new(move |ctx| serde_json::to_vec(&claims(ctx)));
        self
    }

    fn encode_header(&mut self) {
        let mut fields = BTreeMap::from([
            ("alg".to_owned(), serde_json::json!(self.algorithm)),
            ("typ".to_owned(), Value::from("JWT")),
        ]);
        fields.extend(self.fields.clone());
        // A map of strings to JSON values always serializes.
        let json = serde_json::to_vec(&fields).unwrap_or_default();
        self.header = URL_SAFE_NO_PAD.encode(json);
    }

    /// The signed token for a call with `ctx`, or the error Go kratos answers.
    pub fn token(&self, ctx: &Context) -> Result<String, Error> {
        let key = match &self.key {
            SigningKey::One(key) => Cow::Borrowed(key),
            SigningKey::Chosen(choose) => Cow::Owned(choose(ctx).ok_or_else(errors::get_key)?),
        };
        let claims = (self.claims)(ctx).map_err(|_| errors::sign_token())?;
        let mut token = String::with_capacity(self.header.len() + claims.len() * 4 / 3 + 400);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signature = jsonwebtoken::crypto::sign(token.as_bytes(), &key, self.algorithm)
            .map_err(|_| errors::sign_token())?;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }
}

impl Middleware for Client {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        let header = self.token(ctx).and_then(|token| {
            HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| errors::sign_token())
        });
        match header {
            Ok(mut value) => {
                value.set_sensitive(true);
                ctx.request_headers_mut().insert(AUTHORIZATION, value);
                Box::pin(next.run(ctx, req))
            }
            Err(err) => Box::pin(std::future::ready(Err(err))),
        }
    }
}

/// Shows the algorithm and header fields, never the key.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("jwt::Client")
            .field("algorithm", &self.algorithm)
            .field("header", &self.fields)
            .finish_non_exhaustive()
    }
}
