//! The serving loop both servers share: one listener, HTTP/1.1 and HTTP/2 (h2c)
//! on it, every connection tracked so stop can drain them gracefully and, once
//! the stop timeout has passed, drop the ones still running.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use kratos_core::Error;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// What the accept loop hands back when it stops: the connections still open.
struct Open {
    graceful: GracefulShutdown,
    connections: JoinSet<()>,
}

/// A listener that is serving a router in a background task.
pub(crate) struct Serving {
    local_addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    accept: JoinHandle<Open>,
}

/// Binds `addr`, then serves the router `make` builds for the bound endpoint
/// until [`Serving::stop`].
pub(crate) async fn start(
    kind: &'static str,
    addr: &str,
    make: impl FnOnce(Arc<str>) -> Router,
) -> Result<Serving, Error> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::internal_server(
            "BIND",
            format!("{kind} server cannot listen on {addr}: {e}"),
        )
        .with_cause(e)
    })?;
    let local_addr = listener.local_addr()?;
    let router = make(endpoint_url(kind, local_addr).into());
    let (shutdown, stop) = oneshot::channel();
    let accept = tokio::spawn(accept_loop(kind, listener, router, stop));
    tracing::info!(kind, addr = %local_addr, "server listening");
    Ok(Serving {
        local_addr,
        shutdown,
        accept,
    })
}

async fn accept_loop(
    kind: &'static str,
    listener: TcpListener,
    router: Router,
    mut stop: oneshot::Receiver<()>,
) -> Open {
    let builder = Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(kind, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Small RPC replies must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            let _ = connection.await;
        });
        while connections.try_join_next().is_some() {}
    }
    Open {
        graceful,
        connections,
    }
}

impl Serving {
    /// Stops accepting, lets in-flight calls finish for up to `timeout`, then drops the rest.
    pub(crate) async fn stop(self, kind: &'static str, timeout: Duration) -> Result<(), Error> {
        let _ = self.shutdown.send(());
        let Open {
            graceful,
            mut connections,
        } = self
            .accept
            .await
            .map_err(|e| Error::internal_server("", format!("{kind} accept loop failed: {e}")))?;
        if tokio::time::timeout(timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                kind,
                ?timeout,
                open = connections.len(),
                "stop timeout reached; dropping unfinished calls"
            );
            connections.abort_all();
        }
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
    /// `make` builds for the bound endpoint URL.
    pub(crate) async fn start(
        &mut self,
        addr: &str,
        make: impl FnOnce(Arc<str>) -> Router,
    ) -> Result<(), Error> {
        if let Some(problem) = self.problem.take() {
            return Err(problem);
        }
        self.serving = Some(start(self.kind, addr, make).await?);
        Ok(())
    }

    /// Drains and stops the listener, if it runs.
    pub(crate) async fn stop(&mut self, timeout: Duration) -> Result<(), Error> {
        match self.serving.take() {
            Some(serving) => serving.stop(self.kind, timeout).await,
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
