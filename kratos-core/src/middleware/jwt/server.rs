//! The server side: reads `Authorization: Bearer <token>`, checks the token and
//! hands its claims to the rest of the chain through the [`Context`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::errors;
use super::verify::{Keys, Rules, verify};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;
use crate::middleware::{Middleware, Next, Reply, Request};

/// The claims of a checked token, as the context carries them.
#[derive(Clone)]
struct Authenticated<C>(C);

/// The claims of the token the `jwt::server` middleware accepted for this call,
/// as the type it was built with (`serde_json::Map<String, Value>` unless
/// [`Server::claims`] named another); `None` on a call it did not check.
pub fn claims<C: Send + Sync + 'static>(ctx: &Context) -> Option<&C> {
    ctx.extensions()
        .get::<Authenticated<C>>()
        .map(|authenticated| &authenticated.0)
}

/// The JWT server middleware, its claims decoded as `C`.
pub struct Server<C = Map<String, Value>> {
    keys: Keys,
    algorithm: Algorithm,
    rules: Rules,
    claims: PhantomData<fn() -> C>,
}

/// Checks every call's bearer token with `key`, expecting HS256 (Go kratos's
/// default; see [`Server::algorithm`]); the claims reach handlers as a JSON map.
pub fn server(key: DecodingKey) -> Server {
    Server::new(Keys::One(key))
}

/// As [`server`], with the key chosen per token from its header (its `kid`):
/// `None` refuses the token as `Token is invalid`, as Go kratos does when its
/// key function fails.
pub fn server_with_keys(
    choose: impl Fn(&Header) -> Option<DecodingKey> + Send + Sync + 'static,
) -> Server {
    Server::new(Keys::Chosen(Arc::new(choose)))
}

impl Server {
    fn new(keys: Keys) -> Self {
        Self {
            keys,
            algorithm: Algorithm::HS256,
            rules: Rules::default(),
            claims: PhantomData,
        }
    }
}

impl<C> Server<C> {
    /// The algorithm tokens must be signed with; a well-signed token of another
    /// one is refused with `Wrong signing method`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Clock skew allowed on `exp` and `nbf` (none by default, as in Go kratos).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.rules.leeway = leeway;
        self
    }

    /// Refuses tokens without an `exp` claim (accepted by default, as in Go kratos).
    pub fn require_exp(mut self) -> Self {
        self.rules.require_exp = true;
        self
    }

    /// Refuses tokens whose `iss` is not `issuer`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.rules.issuer = Some(issuer.into());
        self
    }

    /// Refuses tokens whose `aud` names none of `audience`.
    pub fn audience<S: Into<String>>(mut self, audience: impl IntoIterator<Item = S>) -> Self {
        self.rules.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// Decodes the claims as `D` instead: a token whose claims do not fit is
    /// `Token is invalid`; handlers read them with `jwt::claims::<D>(ctx)`.
    pub fn claims<D>(self) -> Server<D> {
        Server {
            keys: self.keys,
            algorithm: self.algorithm,
            rules: self.rules,
            claims: PhantomData,
        }
    }
}

impl<C: DeserializeOwned> Server<C> {
    /// The claims of the bearer token in `headers`, or the error Go kratos answers.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<C, Error> {
        let token = bearer_token(headers).ok_or_else(errors::missing_token)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        verify(token, &self.keys, self.algorithm, &self.rules, now)
    }
}

/// The token after `Bearer ` (any case), as Go kratos splits the header: at the
/// first space, with nothing trimmed.
fn bearer_token(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, token) = (&value[..space], &value[space + 1..]);
    scheme.eq_ignore_ascii_case(b"bearer").then_some(token)
}

impl<C> Middleware for Server<C>
where
    C: DeserializeOwned + Clone + Send + Sync + 'static,
{
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        match self.authenticate(ctx.request_headers()) {
            Ok(claims) => {
                ctx.extensions_mut().insert(Authenticated(claims));
                Box::pin(next.run(ctx, req))
            }
            Err(err) => Box::pin(std::future::ready(Err(err))),
        }
    }
}

impl<C> Clone for Server<C> {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            algorithm: self.algorithm,
            rules: self.rules.clone(),
            claims: PhantomData,
        }
    }
}

/// Shows the algorithm and rules, never a key.
impl<C> fmt::Debug for Server<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("jwt::Server")
            .field("algorithm", &self.algorithm)
            .field("rules", &self.rules)
            .field("claims", &std::any::type_name::<C>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn token_of(value: &'static str) -> Option<Vec<u8>> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
        bearer_token(&headers).map(<[u8]>::to_vec)
    }

    #[test]
    fn the_header_splits_as_go_kratos_splits_it() {
        assert_eq!(token_of("Bearer abc"), Some(b"abc".to_vec()));
        assert_eq!(token_of("bEaReR abc"), Some(b"abc".to_vec()), "any case");
        assert_eq!(
            token_of("Bearer  abc"),
            Some(b" abc".to_vec()),
            "nothing trimmed"
        );
        assert_eq!(
            token_of("Bearer "),
            Some(b"".to_vec()),
            "an empty token is invalid, not missing"
        );
        assert_eq!(token_of("Bearer"), None);
        assert_eq!(token_of("Basic abc"), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
