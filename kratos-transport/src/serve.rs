//! The serving loop both servers share: bind, accept HTTP/1.1 and HTTP/2 (h2c) on
//! one listener, and on stop drain in-flight calls for a bounded time.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use kratos_core::Error;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A listener that is serving a router in a background task.
pub(crate) struct Serving {
    local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Binds `addr`, then serves `router` until [`Serving::stop`].
pub(crate) async fn start(
    kind: &'static str,
    addr: &str,
    router: Router,
) -> Result<Serving, Error> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::internal_server(
            "BIND",
            format!("{kind} server cannot listen on {addr}: {e}"),
        )
        .with_cause(e)
    })?;
    let local_addr = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        // Small RPC replies must not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
    });
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(kind, addr = %local_addr, "server listening");
    Ok(Serving {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

impl Serving {
    /// The address the listener bound.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting and waits up to `timeout` for in-flight calls; then drops them.
    pub(crate) async fn stop(mut self, kind: &'static str, timeout: Duration) -> Result<(), Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match tokio::time::timeout(timeout, &mut self.task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(Error::from(e)),
            Ok(Err(join)) => Err(Error::internal_server(
                "",
                format!("{kind} server task failed: {join}"),
            )),
            Err(_) => {
                self.task.abort();
                tracing::warn!(
                    kind,
                    ?timeout,
                    "stop timeout reached; dropping unfinished calls"
                );
                Ok(())
            }
        }
    }
}

/// The URL a client reaches `addr` at: an unspecified bind address is advertised as loopback.
pub(crate) fn endpoint_url(scheme: &str, addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
        ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}
