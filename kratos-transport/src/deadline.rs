//! Call deadlines, the same on both transports: a call that outlives a server or
//! client timeout fails with 504 (gRPC `DEADLINE_EXCEEDED`).

use std::time::Duration;

use kratos_core::Error;

/// The per-call timeout a server applies when nothing shorter is asked for: 1s.
pub const DEFAULT_SERVER_TIMEOUT: Duration = Duration::from_secs(1);
/// The per-call timeout of generated clients unless set: 2s.
pub const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// The error of a call that outlived the server timeout.
pub(crate) fn server_timeout(timeout: Duration) -> Error {
    Error::gateway_timeout(
        "TIMEOUT",
        format!("the call did not finish within the server timeout of {timeout:?}"),
    )
}

/// The error of a call that outlived the client timeout.
pub(crate) fn client_timeout(operation: &str, timeout: Duration) -> Error {
    Error::gateway_timeout(
        "TIMEOUT",
        format!("{operation} did not answer within the client timeout of {timeout:?}"),
    )
}
