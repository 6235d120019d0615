//! What a server hands every call it serves, unary or streaming: its endpoint, its
//! timeout, its middlewares and its stream settings; and, per mounted service, the
//! service's own middlewares beside them.

use std::sync::Arc;
use std::time::Duration;

use kratos_core::Chain;
use tokio::sync::watch;

use crate::deadline::DEFAULT_SERVER_TIMEOUT;

/// What a server hands every call: its endpoint, its timeout and its middlewares.
#[derive(Clone, Debug)]
pub struct ServerState {
    /// The URL the server is reached at (`http://127.0.0.1:8000`), shown to middlewares.
    pub endpoint: Arc<str>,
    /// The per-call timeout.
    pub timeout: Duration,
    /// The server's middlewares, outermost.
    pub chain: Chain,
    /// Stream settings and the stop signal streams watch.
    pub stream: StreamState,
}

impl Default for ServerState {
    fn default() -> Self {
        Self {
            endpoint: Arc::from(""),
            timeout: DEFAULT_SERVER_TIMEOUT,
            chain: Chain::default(),
            stream: StreamState::default(),
        }
    }
}

/// The middlewares of one service plus, once mounted on a gRPC server, that server's state.
/// `#[kratos::service]` keeps one in every `<Trait>Server<T>`.
#[derive(Clone, Debug, Default)]
pub struct ServiceChain {
    /// The service's own middlewares.
    pub chain: Chain,
    /// The state of the server the service is mounted on.
    pub server: Arc<ServerState>,
}

impl ServiceChain {
    /// This chain with `middleware` appended to the service's middlewares.
    pub fn with(&self, middleware: impl kratos_core::Middleware) -> Self {
        Self {
            chain: self.chain.with(middleware),
            server: self.server.clone(),
        }
    }
}

/// A server's stream settings and its stop signal, shared by its calls.
#[derive(Clone, Debug)]
pub struct StreamState {
    /// The longest wait for the next message either way; `None`: no limit.
    pub idle_timeout: Option<Duration>,
    /// Turns `true` when the server stops: open streams end normally.
    pub stopping: watch::Receiver<bool>,
}

impl Default for StreamState {
    fn default() -> Self {
        // A sender dropped at once: `stopping` stays `false` and never changes.
        let (_, stopping) = watch::channel(false);
        Self {
            idle_timeout: None,
            stopping,
        }
    }
}
