//! The HTTP server: an axum router built from the mounted services' routes.

use std::any::Any;
use std::net::SocketAddr;
use std::time::Duration;

use kratos_core::app::BoxFuture;
use kratos_core::{Error, Server, Service};
use serde::Deserialize;

use super::route::RouteTable;
use crate::serve::{Serving, endpoint_url};

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
    problem: Option<Error>,
    serving: Option<Serving>,
    local_addr: Option<SocketAddr>,
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
            problem: None,
            serving: None,
            local_addr: None,
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
        if let Err(e) = service.mount(&mut self) {
            self.problem.get_or_insert(e);
        }
        self
    }

    /// The route table services add their routes to.
    pub fn routes_mut(&mut self) -> &mut RouteTable {
        &mut self.routes
    }

    /// The address the server bound, once started.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }
}

impl Server for HttpServer {
    fn kind(&self) -> &'static str {
        "http"
    }

    fn start(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            if let Some(problem) = self.problem.take() {
                return Err(problem);
            }
            let serving = crate::serve::start(
                "http",
                &self.config.addr,
                self.routes.router(self.config.timeout),
            )
            .await?;
            self.local_addr = Some(serving.local_addr());
            self.serving = Some(serving);
            Ok(())
        })
    }

    fn stop(&mut self, timeout: Duration) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            match self.serving.take() {
                Some(serving) => serving.stop("http", timeout).await,
                None => Ok(()),
            }
        })
    }

    fn endpoint(&self) -> Option<String> {
        self.local_addr.map(|addr| endpoint_url("http", addr))
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
