//! The gRPC server: tonic routes for the mounted services, plus the standard
//! `grpc.health.v1.Health` service (SERVING once started, NOT_SERVING at stop) and,
//! with the `reflection` feature, server reflection (`grpc.reflection.v1` and
//! `v1alpha`) built from the descriptors of the `#[kratos::service]`s it serves, so
//! grpcurl and friends list and call them without a `.proto`.

use std::any::Any;
use std::net::SocketAddr;
use std::time::Duration;

use kratos_core::app::BoxFuture;
use std::sync::Arc;

use kratos_core::{Chain, Error, Middleware, Server, Service, ServiceDescriptor};
use serde::Deserialize;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::adapter::GrpcService;
use super::dispatch::Dispatch;
use crate::deadline::DEFAULT_SERVER_TIMEOUT;
use crate::invoke::ServerState;
use crate::serve::{ConnectionConfig, DirectHandler, DirectRoutes, Layers, Listener, enabled};
use crate::state::StreamState;
use crate::table::ServiceTable;

/// The `server.grpc` section of the config; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GrpcConfig {
    /// Address to listen on; default `0.0.0.0:9000`. Port 0 picks a free port.
    pub addr: String,
    /// How long one call may run before it fails with DEADLINE_EXCEEDED; default 1s.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub timeout: Duration,
    /// Streaming calls: how long a stream may wait for its next message, either
    /// way, before it ends with 504 `STREAM_IDLE` (gRPC `DEADLINE_EXCEEDED`); `0s`
    /// (the default) sets no limit. The timeout above bounds only a stream's opening.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub stream_idle_timeout: Duration,
    /// Header, body and idle timeouts, the connection cap, header limits, HTTP/2
    /// keep-alive pings and concurrent streams: keys that sit directly in `server.grpc`.
    #[serde(flatten)]
    pub connection: ConnectionConfig,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            addr: "0.0.0.0:9000".to_owned(),
            timeout: DEFAULT_SERVER_TIMEOUT,
            stream_idle_timeout: Duration::ZERO,
            connection: ConnectionConfig::default(),
        }
    }
}

/// A gRPC server serving every method of its services.
#[must_use = "a GrpcServer serves nothing until it is added to an app (`.server(..)`)"]
pub struct GrpcServer {
    config: GrpcConfig,
    mounts: Vec<Mount>,
    services: Vec<&'static str>,
    descriptors: Vec<&'static ServiceDescriptor>,
    // Kept without the feature, so `without_reflection()` compiles in every build.
    #[cfg_attr(not(feature = "reflection"), allow(dead_code))]
    reflection: bool,
    health: HealthReporter,
    chain: Chain,
    layers: Layers,
    listener: Listener,
    /// The generated services' methods, each answered without the router.
    direct: Vec<DirectMount>,
}

/// The methods of one generated service, by path, once the server's state is known.
type DirectMount =
    Box<dyn Fn(&Arc<ServerState>) -> Vec<(&'static str, DirectHandler)> + Send + Sync>;

/// Adds one service to the routes once the server's state is known, at start.
type Mount = Box<dyn Fn(Routes, &Arc<ServerState>) -> Routes + Send + Sync>;

impl Default for GrpcServer {
    fn default() -> Self {
        Self::from_config(GrpcConfig::default())
    }
}

impl GrpcServer {
    /// A server with the defaults: `0.0.0.0:9000`, 1s timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// A server from its config section.
    pub fn from_config(config: GrpcConfig) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let health_mount: Mount =
            Box::new(move |routes, _| routes.add_service(health_service.clone()));
        Self {
            config,
            mounts: vec![health_mount],
            services: Vec::new(),
            descriptors: Vec::new(),
            reflection: true,
            health,
            chain: Chain::default(),
            layers: Layers::default(),
            listener: Listener::new("grpc"),
            direct: Vec::new(),
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

    /// Sets the connection limits: timeouts, connection cap, header limits,
    /// HTTP/2 settings (the `server.grpc` keys of [`ConnectionConfig`]).
    pub fn connection(mut self, connection: ConnectionConfig) -> Self {
        self.config.connection = connection;
        self
    }

    /// Serves `service`.
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

    /// Adds a shared middleware (see [`GrpcServer::middleware`]).
    pub fn middleware_arc(mut self, middleware: Arc<dyn Middleware>) -> Self {
        self.chain = self.chain.with_arc(middleware);
        self
    }

    /// Wraps the whole server in a `tower::Layer`; layers see raw HTTP/2 requests,
    /// before routing and decoding; later layers wrap earlier ones.
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

    /// Adds a tonic service written elsewhere (tonic-build output, say); it is served
    /// as is, without kratos middlewares.
    pub fn add_service<S: GrpcService>(&mut self, service: S) {
        self.services.push(S::NAME);
        self.mounts.push(Box::new(move |routes, _| {
            routes.add_service(service.clone())
        }));
    }

    /// Turns server reflection off (it is on by default; without the `reflection`
    /// feature there is none to turn off).
    pub fn without_reflection(mut self) -> Self {
        self.reflection = false;
        self
    }

    /// Adds the gRPC side of a `#[kratos::service]` trait: it runs this server's
    /// middlewares and timeout, and reflection describes it.
    pub(crate) fn add_dispatch<D, T>(&mut self, service: Dispatch<D, T>)
    where
        D: ServiceTable<T>,
        T: Send + Sync + 'static,
    {
        self.services.push(D::DESCRIPTOR.full_name);
        self.descriptors.push(D::DESCRIPTOR);
        let direct = service.clone();
        self.mounts.push(Box::new(move |routes, state| {
            routes.add_service(service.bound(state))
        }));
        self.direct
            .push(Box::new(move |state| direct.bound(state).direct_handlers()));
    }

    /// The address the server bound, once started.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr()
    }

    /// The reflection services (v1 and v1alpha) for what this server serves.
    #[cfg(feature = "reflection")]
    fn reflection_routes(&self) -> Result<Routes, Error> {
        if !self.reflection {
            return Ok(Routes::default());
        }
        let set = kratos_core::descriptor::file_set::file_descriptor_set(&self.descriptors);
        let build = |error: tonic_reflection::server::Error| {
            Error::internal_server(
                "REFLECTION",
                format!("cannot build the reflection service: {error}"),
            )
        };
        let builder = || {
            tonic_reflection::server::Builder::configure()
                .register_file_descriptor_set(set.clone())
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let v1 = builder().build_v1().map_err(build)?;
        let v1alpha = builder().build_v1alpha().map_err(build)?;
        Ok(Routes::new(v1).add_service(v1alpha))
    }

    /// Built without the `reflection` feature: no reflection services.
    #[cfg(not(feature = "reflection"))]
    fn reflection_routes(&self) -> Result<Routes, Error> {
        Ok(Routes::default())
    }

    async fn set_health(&self, status: ServingStatus) {
        self.health.set_service_status("", status).await;
        for name in &self.services {
            self.health.set_service_status(*name, status).await;
        }
    }
}

impl Server for GrpcServer {
    fn kind(&self) -> &'static str {
        "grpc"
    }

    fn start(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let (timeout, chain) = (self.config.timeout, self.chain.clone());
            let idle = self.config.stream_idle_timeout;
            let reflection = self.reflection_routes()?;
            let (mounts, layers, direct) = (&self.mounts, &self.layers, &self.direct);
            let make = move |endpoint, stopping| {
                let state = Arc::new(ServerState {
                    endpoint,
                    timeout,
                    chain,
                    stream: StreamState {
                        idle_timeout: enabled(idle),
                        stopping,
                    },
                });
                let routes = mounts
                    .iter()
                    .fold(reflection, |routes, mount| mount(routes, &state));
                layers.routing(
                    routes.prepare().into_axum_router(),
                    direct_routes(direct, &state),
                )
            };
            let config = &self.config;
            // A stream of requests is a body that lives as long as its call.
            let untimed: Arc<[&'static str]> = self
                .descriptors
                .iter()
                .flat_map(|service| service.methods)
                .filter(|method| method.shape.client_streams())
                .map(|method| method.operation)
                .collect();
            self.listener
                .start(&config.addr, &config.connection, untimed, make)
                .await?;
            self.set_health(ServingStatus::Serving).await;
            Ok(())
        })
    }

    fn stop(&mut self, timeout: Duration) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            self.set_health(ServingStatus::NotServing).await;
            self.listener.stop(timeout).await
        })
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

/// Every generated method's path with its handler; `None` when two claim one path
/// (the router then decides, as it did before).
fn direct_routes(mounts: &[DirectMount], state: &Arc<ServerState>) -> Option<DirectRoutes> {
    let mut routes = DirectRoutes::default();
    for (path, handler) in mounts.iter().flat_map(|mount| mount(state)) {
        if let Err(error) = routes.insert(path, vec![(http::Method::POST, handler)]) {
            tracing::debug!(path, %error, "gRPC methods served through the router only");
            return None;
        }
    }
    Some(routes)
}
