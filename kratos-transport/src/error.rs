//! Local failures of the transports, apart from the wire error: a client that
//! cannot be built from its target, a server that cannot listen. They happen in
//! this process, before any call, so they carry what the user needs to fix it
//! (the URL, the address, the OS error as `source()`) rather than a code and a
//! reason. Each converts into [`kratos_core::Error`] for the places where it must
//! travel as one (a server's `start`, a `main` returning `kratos::Result`).

use kratos_core::Error;

/// Why a [`Client`](crate::Client) could not be built from its target.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The target is not a URL this transport can call.
    #[error("invalid {transport} client URL {url:?}: {detail}")]
    InvalidUrl {
        /// `HTTP` or `gRPC`.
        transport: &'static str,
        /// The URL as given.
        url: String,
        /// What is wrong with it, and how to write it.
        detail: String,
    },
    /// A `discovery:///` or `direct:///` target without a name or an address.
    #[error("invalid target {target:?}: write {expected}")]
    InvalidTarget {
        /// The target as given.
        target: String,
        /// The form the scheme expects.
        expected: &'static str,
    },
    /// A `discovery:///` target on a builder given no registry.
    #[error("{target:?} needs a registry: Client::builder(target).discovery(registry)")]
    NoDiscovery {
        /// The target as given.
        target: String,
    },
    /// A `discovery:///` client built outside a tokio runtime.
    #[error(
        "a discovery:/// client is created inside a tokio runtime (it follows the registry in a task)"
    )]
    NoRuntime,
}

/// As a wire error: 400 for a target the caller wrote wrong, 500 for a client
/// built where it cannot run; the message is the same sentence.
impl From<ClientError> for Error {
    fn from(error: ClientError) -> Self {
        let message = error.to_string();
        match error {
            ClientError::NoRuntime => Error::internal_server("", message),
            _ => Error::bad_request("", message),
        }
        .with_cause(error)
    }
}

/// Why a server could not start serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The listening socket could not be bound (address in use, bad address, no permission).
    #[error("{kind} server cannot listen on {addr}: {source}")]
    Bind {
        /// `http` or `grpc`.
        kind: &'static str,
        /// The address as configured.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The bound socket has no local address (the OS refused to say).
    #[error("{kind} server cannot read its bound address: {source}")]
    LocalAddr {
        /// `http` or `grpc`.
        kind: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The accept loop ended abnormally (its task panicked or was cancelled).
    #[error("{kind} accept loop failed: {detail}")]
    Accept {
        /// `http` or `grpc`.
        kind: &'static str,
        /// What the task reported.
        detail: String,
    },
}

/// The reason a [`ServeError`] carries as a wire error, as Go kratos apps log it:
/// `BIND` for a socket that could not be bound.
pub const REASON_BIND: &str = "BIND";

/// As a wire error: 500, reason [`REASON_BIND`] for a bind failure; the message is
/// the same sentence and `source()` leads to the OS error.
impl From<ServeError> for Error {
    fn from(error: ServeError) -> Self {
        let reason = match error {
            ServeError::Bind { .. } => REASON_BIND,
            _ => "",
        };
        Error::internal_server(reason, error.to_string()).with_cause(error)
    }
}
