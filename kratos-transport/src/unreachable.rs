//! A node that never got the call: its own error kind, apart from any answer a
//! server sent.
//!
//! A balanced client tries a call once more on another node only when the first
//! node could not be reached (the connection was refused, or closed before the
//! request went out), because then the call cannot have run. An answer is never
//! retried, whatever its status: a 503 from a proxy, a Go service or a kratos
//! handler may come after the call did its work.

use kratos_core::Error;

/// The call could not reach its node: nothing was sent, so trying another node is safe.
///
/// It crosses the wire (and reaches the caller) as 503 with an empty reason, as
/// Go kratos reports a transport failure; locally it is the error's
/// [`cause`](Error::cause), which [`NodeUnreachable::is`] looks for.
#[derive(Debug, thiserror::Error)]
#[error("{endpoint} is unreachable: {source}")]
pub struct NodeUnreachable {
    /// The node's URL (`http://10.0.0.5:8000`).
    pub endpoint: String,
    /// What the connection attempt reported.
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl NodeUnreachable {
    /// The kratos error for a call to `operation` that could not reach `endpoint`.
    pub(crate) fn error(
        operation: &str,
        endpoint: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        let unreachable = Self {
            endpoint: endpoint.into(),
            source: source.into(),
        };
        Error::service_unavailable("", format!("{operation}: {unreachable}"))
            .with_cause(unreachable)
    }

    /// True when `error` is a call that never reached its node (and not an answer).
    pub fn is(error: &Error) -> bool {
        error
            .cause()
            .is_some_and(|cause| cause.is::<NodeUnreachable>())
    }
}

/// True when the error chain says no connection could be made, or the request was
/// dropped before it was written: the two cases where the server cannot have seen it.
pub(crate) fn never_sent(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::AddrNotAvailable
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
            )
        {
            return true;
        }
        if let Some(client) = e.downcast_ref::<hyper_util::client::legacy::Error>()
            && client.is_connect()
        {
            return true;
        }
        if let Some(hyper) = e.downcast_ref::<hyper::Error>()
            && hyper.is_canceled()
        {
            return true;
        }
        current = e.source();
    }
    false
}
