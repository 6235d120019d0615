//! The HTTP server: an axum router built from the mounted services' routes.

use std::any::Any;
use std::net::SocketAddr;
use std::time::Duration;

use kratos_core::app::BoxFuture;
use std::sync::Arc;

use kratos_core::{Chain, Error, HttpMethod, Middleware, Server, Service, ServiceDescriptor};
use serde::Deserialize;

use super::RawResponse;
#[cfg(feature = "openapi")]
use super::openapi::OpenApi;
use super::reply::{Encoders, ErrorEncoder, ReplyEncoder};
use super::route::RouteTable;
use super::state::{HttpState, MAX_BODY_BYTES};
use crate::invoke::ServerState;
use crate::serve::{ConnectionConfig, Layers, Listener, enabled};
use crate::state::StreamState;

/// The `server.http` section of the config; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Address to listen on; default `0.0.0.0:8000`. Port 0 picks a free port.
    pub addr: String,
    /// How long one call may run before it is answered 504; default 1s.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub timeout: Duration,
    /// Path of the OpenAPI 3 document of the routes, e.g. `/q/openapi.json`; default
    /// none. Served with the `openapi` feature; without it, a warning at start says so.
    pub openapi: Option<String>,
    /// The largest request body, generated and hand-written routes alike; past it
    /// the answer is 413 `PAYLOAD_TOO_LARGE`. Bytes, or a size such as `8MiB`;
    /// default 4 MiB ([`MAX_BODY_BYTES`](super::MAX_BODY_BYTES)).
    #[serde(deserialize_with = "crate::serve::deserialize_size")]
    pub max_body: usize,
    /// Path of the Prometheus scrape route, e.g. `/metrics`; default none. With it,
    /// `#[kratos::main]` also puts the metrics middleware on both servers. Served
    /// with the `metrics` feature; without it, a warning at start says so.
    pub metrics: Option<String>,
    /// Streaming calls: how long a stream may wait for its next message, either
    /// way, before it ends with 504 `STREAM_IDLE` (gRPC `DEADLINE_EXCEEDED`); `0s`
    /// (the default) sets no limit. The timeout above bounds only a stream's opening.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub stream_idle_timeout: Duration,
    /// Header, body and idle timeouts, the connection cap, header limits and
    /// HTTP/2 settings: keys that sit directly in `server.http`.
    #[serde(flatten)]
    pub connection: ConnectionConfig,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            addr: "0.0.0.0:8000".to_owned(),
            timeout: Duration::from_secs(1),
            openapi: None,
            max_body: MAX_BODY_BYTES,
            metrics: None,
            stream_idle_timeout: Duration::ZERO,
            connection: ConnectionConfig::default(),
        }
    }
}

/// An HTTP server serving the `#[route]` bindings of its services.
#[must_use = "an HttpServer serves nothing until it is added to an app (`.server(..)`)"]
pub struct HttpServer {
    config: HttpConfig,
    routes: RouteTable,
    descriptors: Vec<&'static ServiceDescriptor>,
    #[cfg(feature = "openapi")]
    openapi: OpenApi,
    chain: Chain,
    layers: Layers,
    encoders: Encoders,
    listener: Listener,
}

impl Default for HttpServer {
    fn default() -> Self {
        Self::from_config(HttpConfig::default())
    }
}

impl HttpServer {
    /// A server with the defaults: `0.0.0.0:8000`, 1s timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// A server from its config section.
    pub fn from_config(config: HttpConfig) -> Self {
        #[cfg(feature = "openapi")]
        let openapi = OpenApi {
            path: config.openapi.clone(),
            ..OpenApi::default()
        };
        Self {
            routes: RouteTable::default(),
            descriptors: Vec::new(),
            #[cfg(feature = "openapi")]
            openapi,
            config,
            chain: Chain::default(),
            layers: Layers::default(),
            encoders: Encoders::default(),
            listener: Listener::new("http"),
        }
    }

    /// Sets the listen address (`127.0.0.1:0` for a free port).
    pub fn address(mut self, addr: impl Into<String>) -> Self {
        self.config.addr = addr.into();
        self
    }

    /// Sets the per-call timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Sets the largest request body, in bytes (`server.http.max_body`).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.config.max_body = bytes;
        self
    }

    /// Sets the connection limits: timeouts, connection cap, header limits
    /// (the `server.http` keys of [`ConnectionConfig`]).
    pub fn connection(mut self, connection: ConnectionConfig) -> Self {
        self.config.connection = connection;
        self
    }

    /// Serves `service`'s routes; a route conflict is reported when the server starts.
    pub fn service(mut self, service: impl Service) -> Self {
        let mounted = service.mount(&mut self);
        self.listener.record(mounted);
        self
    }

    /// Adds a middleware around every call of every service on this server, inside
    /// the ones added before it.
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.chain = self.chain.with(middleware);
        self
    }

    /// Adds a shared middleware (see [`HttpServer::middleware`]).
    pub fn middleware_arc(mut self, middleware: Arc<dyn Middleware>) -> Self {
        self.chain = self.chain.with_arc(middleware);
        self
    }

    /// Wraps the whole server in a `tower::Layer` (any tower-http layer: CORS,
    /// compression, body limits, request ids). Layers see raw HTTP, before routing
    /// and decoding; later layers wrap earlier ones.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Error:
            Into<std::convert::Infallible> + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.layers.push(layer);
        self
    }

    /// Replaces how successful replies are written (default [`encode_reply`](super::encode_reply):
    /// the reply in the codec `Accept` asks for). `encode` gets the request's headers,
    /// the route's status and the reply; the handler's reply headers are added to
    /// what it returns, and an error it returns goes to the error encoder.
    pub fn reply_encoder<F>(mut self, encode: F) -> Self
    where
        F: Fn(
                &http::HeaderMap,
                http::StatusCode,
                &dyn kratos_core::encoding::Encode,
            ) -> Result<RawResponse, Error>
            + Send
            + Sync
            + 'static,
    {
        self.encoders.reply = Some(Arc::new(encode) as ReplyEncoder);
        self
    }

    /// Replaces how errors are written, the framework's own (404, 405, 413, 415, 504)
    /// included (default [`encode_error`](super::encode_error): the kratos error body
    /// in the codec `Accept` asks for, the code as status).
    pub fn error_encoder<F>(mut self, encode: F) -> Self
    where
        F: Fn(&http::HeaderMap, &Error) -> RawResponse + Send + Sync + 'static,
    {
        self.encoders.error = Some(Arc::new(encode) as ErrorEncoder);
        self
    }

    /// Serves a hand-written route (`handler` is any axum handler) as `operation`:
    /// the server's middlewares run around it as around any method.
    pub fn route<H, T>(
        mut self,
        method: HttpMethod,
        path: &str,
        operation: &'static str,
        handler: H,
    ) -> Self
    where
        H: axum::handler::Handler<T, ()> + Sync,
        T: 'static,
    {
        let added = self
            .routes
            .add_raw(method, path, operation, handler)
            .map(|()| true);
        self.listener.record(added);
        self
    }

    /// Serves the OpenAPI 3 document of this server's routes at `path` (for example
    /// `/q/openapi.json`), titled `title` at `version`.
    #[cfg(feature = "openapi")]
    pub fn openapi(mut self, path: &str, title: &str, version: &str) -> Self {
        self.openapi = OpenApi {
            path: Some(path.to_owned()),
            title: title.to_owned(),
            version: version.to_owned(),
        };
        self
    }

    /// Names the API in the OpenAPI document (`info.title`, `info.version`), if one is served.
    #[cfg(feature = "openapi")]
    pub fn openapi_info(mut self, title: &str, version: &str) -> Self {
        title.clone_into(&mut self.openapi.title);
        version.clone_into(&mut self.openapi.version);
        self
    }

    /// Records a mounted service's descriptor, for the OpenAPI document.
    pub fn describe(&mut self, descriptor: &'static ServiceDescriptor) {
        if !self
            .descriptors
            .iter()
            .any(|d| std::ptr::eq(*d, descriptor))
        {
            self.descriptors.push(descriptor);
        }
    }

    /// The route table services add their routes to.
    pub fn routes_mut(&mut self) -> &mut RouteTable {
        &mut self.routes
    }

    /// The address the server bound, once started.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr()
    }
}

impl Server for HttpServer {
    fn kind(&self) -> &'static str {
        "http"
    }

    fn start(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        #[cfg(feature = "openapi")]
        {
            let openapi = self.openapi.mount(&mut self.routes, &self.descriptors);
            self.listener.record(openapi.map(|()| true));
        }
        #[cfg(feature = "metrics")]
        if let Some(path) = self.config.metrics.clone() {
            super::metrics::mount(&mut self.routes, &path);
        }
        #[cfg(not(feature = "metrics"))]
        if let Some(path) = &self.config.metrics {
            tracing::warn!(
                path = %path,
                "server.http.metrics is set, but kratos was built without its `metrics` feature: nothing is served"
            );
        }
        // A config written for a full build still starts; the missing route is logged.
        #[cfg(not(feature = "openapi"))]
        if let Some(path) = &self.config.openapi {
            tracing::warn!(
                path = %path,
                "server.http.openapi is set, but kratos was built without its `openapi` feature: no document is served"
            );
        }
        let (timeout, chain) = (self.config.timeout, self.chain.clone());
        let idle = self.config.stream_idle_timeout;
        let (encoders, max_body) = (self.encoders.clone(), self.config.max_body);
        let (routes, layers, config) = (&self.routes, &self.layers, &self.config);
        Box::pin(self.listener.start(
            &config.addr,
            &config.connection,
            // WebSocket streams are upgrades: their bytes are no request body.
            Arc::from([]),
            move |endpoint, stopping| {
                let state = Arc::new(HttpState {
                    server: ServerState {
                        endpoint,
                        timeout,
                        chain,
                        stream: StreamState {
                            idle_timeout: enabled(idle),
                            stopping,
                        },
                    },
                    encoders,
                    max_body,
                });
                let (router, direct) = routes.build(&state);
                layers.routing(router, direct)
            },
        ))
    }

    fn stop(&mut self, timeout: Duration) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.listener.stop(timeout))
    }

    fn endpoint(&self) -> Option<String> {
        self.listener.endpoint()
    }

    fn advertised_endpoint(&self, host: Option<&str>) -> Option<String> {
        self.listener.advertised(host)
    }

    fn services(&self) -> Vec<&'static ServiceDescriptor> {
        self.descriptors.clone()
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
