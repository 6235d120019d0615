//! The HTTP server: an axum router built from the mounted services' routes.

use std::any::Any;
use std::net::SocketAddr;
use std::time::Duration;

use kratos_core::app::BoxFuture;
use kratos_core::{Error, Server, Service};
use serde::Deserialize;

use super::route::RouteTable;
use crate::serve::Listener;

/// The `server.http` section of the config; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Address to listen on; default `0.0.0.0:8000`. Port 0 picks a free port.
    pub addr: String,
    /// How long one call may run before it is answered 504; default 1s.
    #[serde(deserialize_with = "kratos_core::config::duration::deserialize")]
    pub timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            addr: "0.0.0.0:8000".to_owned(),
            timeout: Duration::from_secs(1),
        }
    }
}

/// An HTTP server serving the `#[route]` bindings of its services.
pub struct HttpServer {
    config: HttpConfig,
    routes: RouteTable,
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
        Self {
            routes: RouteTable::default(),
            config,
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

    /// Serves `service`'s routes; a route conflict is reported when the server starts.
    pub fn service(mut self, service: impl Service) -> Self {
        let mounted = service.mount(&mut self);
        self.listener.record(mounted);
        self
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
        let router = self.routes.router(self.config.timeout);
        Box::pin(self.listener.start(&self.config.addr, router))
    }

    fn stop(&mut self, timeout: Duration) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.listener.stop(timeout))
    }

    fn endpoint(&self) -> Option<String> {
        self.listener.endpoint("http")
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
