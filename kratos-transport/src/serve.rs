//! The serving loop both servers share: one listener, HTTP/1.1 and HTTP/2 (h2c)
//! on it, at most `max_connections` connections at once, each under the header,
//! body and idle timeouts of [`ConnectionConfig`], every connection tracked so stop
//! can drain them gracefully and, once the stop timeout has passed, drop the ones
//! still running.

mod automatic;
mod body;
mod connection;
mod direct;
mod limits;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::server::conn::auto::Builder;
use kratos_core::Error;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::ServeError;

pub(crate) use body::BodyTimeout;
pub(crate) use direct::{DirectHandler, DirectRoutes, Routing};
pub(crate) use limits::deserialize_size;
pub use limits::{
    ConnectionConfig, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_HTTP2_KEEPALIVE_INTERVAL, DEFAULT_HTTP2_KEEPALIVE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_HEADERS, parse_size,
};

use body::{ConnService, LateBody};
use connection::{GuardedIo, StreamExecutor, Timeouts};
pub(crate) use limits::enabled;
use state::ConnState;

/// A listener that is serving a router in a background task.
pub(crate) struct Serving {
    local_addr: SocketAddr,
    /// Tells the accept loop and every connection that the server stops.
    stop: watch::Sender<bool>,
    /// Ends the calls HTTP/2 connections spawned, once the stop timeout has passed.
    abort: watch::Sender<bool>,
    accept: JoinHandle<JoinSet<()>>,
}

/// Binds `addr`, then serves the router `make` builds for the bound endpoint
/// until [`Serving::stop`], every connection under `limits`. `make` also gets the
/// stop signal, which open streams watch to end when the server stops.
pub(crate) async fn start(
    kind: &'static str,
    addr: &str,
    limits: &ConnectionConfig,
    untimed: Arc<[&'static str]>,
    make: impl FnOnce(Arc<str>, watch::Receiver<bool>) -> Routing,
) -> Result<Serving, ServeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            kind,
            addr: addr.to_owned(),
            source,
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ServeError::LocalAddr { kind, source })?;
    let (stop, stopped) = watch::channel(false);
    // `with_state` turns every handler into its route once, here; a router served
    // as it is converts (clones and boxes) the matched handler on every request.
    let Routing { router, direct } = make(endpoint_url(kind, local_addr).into(), stopped.clone());
    let router = router.with_state(());
    let (abort, aborted) = watch::channel(false);
    let mut builder = Builder::new(StreamExecutor { abort: aborted });
    limits.apply(&mut builder);
    let late_body: LateBody = match kind {
        "grpc" => body::grpc_late_body,
        _ => body::http_late_body,
    };
    let loop_ = AcceptLoop {
        kind,
        router,
        direct,
        builder,
        slots: Arc::new(Semaphore::new(limits.connection_slots())),
        timeouts: Timeouts {
            header: enabled(limits.header_read_timeout),
            idle: enabled(limits.idle_timeout),
        },
        body_timeout: enabled(limits.body_read_timeout),
        late_body,
        untimed,
    };
    warn_if_descriptors_short(kind, limits.connection_slots());
    let accept = tokio::spawn(loop_.run(listener, stopped));
    tracing::info!(kind, addr = %local_addr, "server listening");
    Ok(Serving {
        local_addr,
        stop,
        abort,
        accept,
    })
}

/// What every connection of one listener is served with.
struct AcceptLoop {
    kind: &'static str,
    router: Router,
    direct: Option<Arc<DirectRoutes>>,
    builder: Builder<StreamExecutor>,
    /// One permit per connection served at once (`max_connections`).
    slots: Arc<Semaphore>,
    timeouts: Timeouts,
    body_timeout: Option<Duration>,
    late_body: LateBody,
    /// Paths whose request body is a stream: no body read timeout.
    untimed: Arc<[&'static str]>,
}

impl AcceptLoop {
    /// Accepts until the server stops; hands back the connections still open.
    async fn run(self, listener: TcpListener, mut stop: watch::Receiver<bool>) -> JoinSet<()> {
        let mut connections = JoinSet::new();
        loop {
            // At the cap, stop accepting: new clients wait in the listen backlog
            // until a connection closes, and no descriptor is spent on them.
            let slot = tokio::select! {
                slot = self.slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                _ = stop.wait_for(|stop| *stop) => break,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.wait_for(|stop| *stop) => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(kind = self.kind, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            // Small RPC replies must not wait for Nagle's algorithm.
            let _ = stream.set_nodelay(true);
            let state = Arc::new(ConnState::new(slot));
            let service = ConnService {
                router: self.router.clone(),
                conn: state.clone(),
                body_timeout: self.body_timeout,
                late_body: self.late_body,
                untimed: self.untimed.clone(),
                peer,
                direct: self.direct.clone(),
            };
            let connection = self
                .builder
                .serve_connection_with_upgrades(GuardedIo::new(stream, state.clone()), service)
                .into_owned();
            connections.spawn(connection::drive(
                connection,
                state,
                stop.clone(),
                self.timeouts,
            ));
            while connections.try_join_next().is_some() {}
        }
        connections
    }
}

/// Warns when `max_connections` is more than the process may open files: past the
/// descriptor limit, accepting fails (and backs off) before the cap is reached.
fn warn_if_descriptors_short(kind: &'static str, max_connections: usize) {
    if let Some(limit) = limits::open_files_limit()
        && max_connections as u64 >= limit
    {
        tracing::warn!(
            kind,
            max_connections,
            open_files_limit = limit,
            "max_connections is above the open-file limit (ulimit -n): raise the limit or lower max_connections"
        );
    }
}

impl Serving {
    /// Stops accepting, lets in-flight calls finish for up to `timeout`, then drops
    /// the rest: connections, and calls still running on HTTP/2 connections.
    pub(crate) async fn stop(
        self,
        kind: &'static str,
        timeout: Duration,
    ) -> Result<(), ServeError> {
        let _ = self.stop.send(true);
        let mut connections = self.accept.await.map_err(|e| ServeError::Accept {
            kind,
            detail: e.to_string(),
        })?;
        let drained = tokio::time::timeout(timeout, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                kind,
                ?timeout,
                open = connections.len(),
                "stop timeout reached; dropping unfinished calls"
            );
            connections.abort_all();
        }
        let _ = self.abort.send(true);
        while connections.join_next().await.is_some() {}
        Ok(())
    }
}

/// The state both servers keep around the serving loop: a problem found while
/// services were mounted (reported at start), and the running listener.
pub(crate) struct Listener {
    kind: &'static str,
    problem: Option<Error>,
    serving: Option<Serving>,
}

impl Listener {
    pub(crate) fn new(kind: &'static str) -> Self {
        Self {
            kind,
            problem: None,
            serving: None,
        }
    }

    /// Keeps the first mounting error, to fail the start with it.
    pub(crate) fn record(&mut self, result: Result<bool, Error>) {
        if let Err(e) = result {
            self.problem.get_or_insert(e);
        }
    }

    /// Fails with a recorded problem, or binds `addr` and serves the router
    /// `make` builds for the bound endpoint URL and the stop signal, every
    /// connection under `limits`.
    pub(crate) async fn start(
        &mut self,
        addr: &str,
        limits: &ConnectionConfig,
        untimed: Arc<[&'static str]>,
        make: impl FnOnce(Arc<str>, watch::Receiver<bool>) -> Routing,
    ) -> Result<(), Error> {
        if let Some(problem) = self.problem.take() {
            return Err(problem);
        }
        self.serving = Some(start(self.kind, addr, limits, untimed, make).await?);
        Ok(())
    }

    /// Drains and stops the listener, if it runs.
    pub(crate) async fn stop(&mut self, timeout: Duration) -> Result<(), Error> {
        match self.serving.take() {
            Some(serving) => Ok(serving.stop(self.kind, timeout).await?),
            None => Ok(()),
        }
    }

    /// The bound address while serving.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        self.serving.as_ref().map(|s| s.local_addr)
    }

    /// The endpoint URL while serving.
    pub(crate) fn endpoint(&self) -> Option<String> {
        self.local_addr().map(|addr| endpoint_url(self.kind, addr))
    }

    /// The endpoint URL to register: an unspecified bind address becomes `host`,
    /// else this machine's outbound address.
    pub(crate) fn advertised(&self, host: Option<&str>) -> Option<String> {
        let addr = self.local_addr()?;
        if !addr.ip().is_unspecified() {
            return Some(endpoint_url(self.kind, addr));
        }
        let host = match host {
            Some(host) if host.contains(':') && !host.starts_with('[') => format!("[{host}]"),
            Some(host) => host.to_owned(),
            None => match outbound_ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            },
        };
        Some(format!("{}://{host}:{}", self.kind, addr.port()))
    }
}

type LayerFn = Box<dyn Fn(Router) -> Router + Send + Sync>;

/// `tower::Layer`s a server wraps around its router: transport concerns that need
/// no decoded message (CORS, compression, body limits, request ids).
#[derive(Default)]
pub(crate) struct Layers {
    layers: Vec<LayerFn>,
}

impl Layers {
    /// Adds a layer; later layers wrap earlier ones.
    pub(crate) fn push<L>(&mut self, layer: L)
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Error:
            Into<std::convert::Infallible> + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.layers
            .push(Box::new(move |router: Router| router.layer(layer.clone())));
    }

    /// What a server serves: `router` inside every layer and, when there is no
    /// layer, the routes called without the router (with one, a request passing
    /// the router by would skip it).
    pub(crate) fn routing(&self, router: Router, direct: Option<DirectRoutes>) -> Routing {
        Routing {
            direct: direct.filter(|_| self.layers.is_empty()).map(Arc::new),
            router: self.apply(router),
        }
    }

    /// `router` inside every layer.
    pub(crate) fn apply(&self, router: Router) -> Router {
        self.layers
            .iter()
            .fold(router, |router, layer| layer(router))
    }
}

/// The address this machine sends from: a UDP `connect` picks the outbound
/// interface without sending anything; loopback when there is no route.
fn outbound_ip() -> std::net::IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| {
            socket.connect("192.0.2.1:80")?;
            socket.local_addr()
        })
        .map(|addr| addr.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into())
}

/// The URL a client reaches `addr` at: an unspecified bind address is advertised as loopback.
fn endpoint_url(scheme: &str, addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
        ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

tokio::task_local! {
    /// The client's address of the call being polled: set by the connection around
    /// each call's future, so a call reads it without a per-request extension.
    static PEER: SocketAddr;
}

/// The caller's address of the request being served, when this crate's accept
/// loop received it; read while the call is polled (its context is built then).
pub(crate) fn peer() -> Option<SocketAddr> {
    PEER.try_with(|peer| *peer).ok()
}
