//! `metadata`: Go kratos's metadata propagation.
//!
//! The server side copies every request header whose name starts with the prefix
//! (`x-md-` by default) into [`Context::metadata`], keys lower-cased and every value
//! kept, and hands the `x-md-global-*` ones to client calls made while serving. The
//! client side sends the call's metadata (set on the context the client method is
//! given, or with [`with_outgoing`]) plus the incoming `x-md-global-*` keys: global
//! keys travel every hop, `x-md-local-*` keys one.

use std::future::Future;
use std::sync::Arc;

use http::header::{HeaderName, HeaderValue};

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;
use crate::metadata::{GLOBAL_PREFIX, Incoming, Metadata, PREFIX, incoming, with_incoming};

tokio::task_local! {
    static OUTGOING: Metadata;
}

/// Runs `future` with `metadata` sent by every client call made inside it (through
/// a client with the `metadata::client()` middleware).
pub async fn with_outgoing<F: Future>(metadata: Metadata, future: F) -> F::Output {
    OUTGOING.scope(metadata, future).await
}

/// The server side of metadata propagation.
#[derive(Clone, Debug)]
pub struct Server {
    prefix: String,
    global_prefix: String,
}

/// The client side of metadata propagation.
#[derive(Clone, Debug)]
pub struct Client {
    prefix: String,
    global_prefix: String,
}

/// Reads `x-md-*` headers into the call's metadata.
pub fn server() -> Server {
    Server {
        prefix: PREFIX.to_owned(),
        global_prefix: GLOBAL_PREFIX.to_owned(),
    }
}

/// Sends the call's metadata and the incoming global keys as `x-md-*` headers.
pub fn client() -> Client {
    Client {
        prefix: PREFIX.to_owned(),
        global_prefix: GLOBAL_PREFIX.to_owned(),
    }
}

impl Server {
    /// Reads headers with this prefix instead of `x-md-`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().to_ascii_lowercase();
        self
    }

    /// Hands on keys with this prefix instead of `x-md-global-`.
    pub fn global_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.global_prefix = prefix.into().to_ascii_lowercase();
        self
    }
}

impl Client {
    /// Sends only keys with this prefix, instead of `x-md-`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().to_ascii_lowercase();
        self
    }

    /// Hands on incoming keys with this prefix instead of `x-md-global-`.
    pub fn global_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.global_prefix = prefix.into().to_ascii_lowercase();
        self
    }
}

impl Middleware for Server {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let mut found: Option<Metadata> = None;
            for (name, value) in ctx.request_headers() {
                if name.as_str().starts_with(&self.prefix)
                    && let Ok(value) = value.to_str()
                {
                    found
                        .get_or_insert_with(Metadata::new)
                        .add(name.as_str(), value);
                }
            }
            // Most calls carry no metadata: nothing to build, nothing to hand on.
            let Some(metadata) = found else {
                return next.run(ctx, req).await;
            };
            let global = metadata.with_prefix(&self.global_prefix);
            *ctx.metadata_mut() = metadata;
            if global.is_empty() {
                return next.run(ctx, req).await;
            }
            let handed_on = Incoming {
                metadata: Some(Arc::new(global)),
                deadline: ctx.deadline(),
            };
            with_incoming(handed_on, next.run(ctx, req)).await
        })
    }

    fn passes(&self, ctx: &Context) -> bool {
        !ctx.request_headers()
            .keys()
            .any(|name| name.as_str().starts_with(&self.prefix))
    }
}

impl Middleware for Client {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            // Incoming global keys first; what the caller set for this call replaces them.
            let mut outgoing = Metadata::new();
            if let Some(incoming) = incoming().and_then(|i| i.metadata) {
                outgoing.overlay(&incoming.with_prefix(&self.global_prefix));
            }
            outgoing.overlay(ctx.metadata());
            let _ = OUTGOING.try_with(|md| outgoing.overlay(md));
            for (key, values) in outgoing.iter() {
                if !key.starts_with(&self.prefix) {
                    continue;
                }
                let Ok(name) = HeaderName::from_bytes(key.as_bytes()) else {
                    return Err(Error::bad_request(
                        "METADATA",
                        format!("invalid metadata key {key:?}"),
                    ));
                };
                for value in values {
                    let value = HeaderValue::from_str(value).map_err(|_| {
                        Error::bad_request(
                            "METADATA",
                            format!("invalid value for metadata key {key:?}"),
                        )
                    })?;
                    ctx.request_headers_mut().append(name.clone(), value);
                }
            }
            *ctx.metadata_mut() = outgoing;
            next.run(ctx, req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Kind;
    use http::HeaderMap;

    fn ctx(headers: &[(&'static str, &'static str)]) -> Context {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Context::new(Kind::Http, "/t", map)
    }

    /// The server side is skipped only for a call it would not change: one
    /// without a header of its prefix (the configured one, not only `x-md-`).
    #[test]
    fn passes_only_calls_without_its_headers() {
        let server = server();
        assert!(server.passes(&ctx(&[("accept", "*/*")])));
        assert!(!server.passes(&ctx(&[("x-md-local-a", "1")])));
        assert!(!server.passes(&ctx(&[("x-md-global-a", "1")])));
        let custom = super::server().prefix("X-Team-");
        assert!(custom.passes(&ctx(&[("x-md-local-a", "1")])));
        assert!(!custom.passes(&ctx(&[("x-team-a", "1")])));
    }
}
