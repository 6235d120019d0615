//! The kratos error: an HTTP-style code, a machine-readable reason, a message and
//! metadata, carried the same way over HTTP and gRPC.
//!
//! On HTTP the error is the body `{"code","reason","message","metadata"}` with the
//! code as status; on gRPC it is a status whose code comes from [`grpc_code`] and
//! whose details carry a `google.rpc.ErrorInfo`. Both encodings are Go kratos v2.9's.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

mod codes;
mod convert;

pub use codes::{grpc, grpc_code, http_code};
pub use convert::{code, from_error, reason};

/// A `Result` whose error defaults to the kratos [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error every kratos call returns: what crosses the wire plus an optional local cause.
#[derive(Serialize, Deserialize, Default)]
pub struct Error {
    /// HTTP-style status code (404, 500, ...): the HTTP status, mapped for gRPC.
    pub code: i32,
    /// Machine-readable reason in UPPER_SNAKE case, e.g. `USER_NOT_FOUND`; empty for plain errors.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// Free-form key/value details sent with the error.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The underlying error; stays in this process, never serialized.
    #[serde(skip)]
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The reason of framework errors about request encoding (bad body, bad query or path value).
pub const REASON_CODEC: &str = "CODEC";
/// The reason of a recovered panic, as Go kratos's recovery middleware gives it.
pub const REASON_UNKNOWN: &str = "UNKNOWN";
/// The message of a recovered panic, as Go kratos's recovery middleware gives it.
pub const PANIC_MESSAGE: &str = "unknown request error";
/// The message a plain Rust error carries on the wire unless its cause is exposed.
pub const INTERNAL_MESSAGE: &str = "internal server error";

impl Error {
    /// Builds an error from its three wire fields.
    pub fn new(code: i32, reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            message: message.into(),
            metadata: BTreeMap::new(),
            cause: None,
        }
    }

    /// The same error with another message (code, reason, metadata and cause kept).
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Adds one metadata entry.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Attaches the local cause, reported by `source()` and never sent.
    #[must_use]
    pub fn with_cause(
        mut self,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// A plain Rust error as a kratos error: code 500, empty reason (as Go kratos), and a
    /// generic message so internal text does not reach clients; the error is kept as
    /// the cause for logs. Call [`Error::expose_cause`] to send its text instead.
    pub fn from_std(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::new(500, "", INTERNAL_MESSAGE).with_cause(err)
    }

    /// Replaces the message with the text of the cause, for errors whose text is safe to show.
    pub fn expose_cause(mut self) -> Self {
        if let Some(cause) = &self.cause {
            self.message = cause.to_string();
        }
        self
    }

    /// The local cause, if any.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// 400: the request is malformed.
    pub fn bad_request(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(400, reason, message)
    }

    /// 401: the caller is not authenticated.
    pub fn unauthorized(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(401, reason, message)
    }

    /// 403: the caller may not do this.
    pub fn forbidden(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(403, reason, message)
    }

    /// 404: the addressed thing does not exist.
    pub fn not_found(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(404, reason, message)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(409, reason, message)
    }

    /// 499: the client went away before the answer.
    pub fn client_closed(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(499, reason, message)
    }

    /// 500: the server failed.
    pub fn internal_server(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(500, reason, message)
    }

    /// 503: the service cannot take the call now.
    pub fn service_unavailable(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(503, reason, message)
    }

    /// 504: the call ran out of time.
    pub fn gateway_timeout(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(504, reason, message)
    }

    /// True when the code is 400 (Go kratos `IsBadRequest` compares the code only).
    pub fn is_bad_request(&self) -> bool {
        self.code == 400
    }

    /// True when the code is 401 (Go kratos `IsUnauthorized` compares the code only).
    pub fn is_unauthorized(&self) -> bool {
        self.code == 401
    }

    /// True when the code is 403 (Go kratos `IsForbidden` compares the code only).
    pub fn is_forbidden(&self) -> bool {
        self.code == 403
    }

    /// True when the code is 404 (Go kratos `IsNotFound` compares the code only).
    pub fn is_not_found(&self) -> bool {
        self.code == 404
    }

    /// True when the code is 409 (Go kratos `IsConflict` compares the code only).
    pub fn is_conflict(&self) -> bool {
        self.code == 409
    }

    /// True when the code is 499 (Go kratos `IsClientClosed` compares the code only).
    pub fn is_client_closed(&self) -> bool {
        self.code == 499
    }

    /// True when the code is 500 (Go kratos `IsInternalServer` compares the code only).
    pub fn is_internal_server(&self) -> bool {
        self.code == 500
    }

    /// True when the code is 503 (Go kratos `IsServiceUnavailable` compares the code only).
    pub fn is_service_unavailable(&self) -> bool {
        self.code == 503
    }

    /// True when the code is 504 (Go kratos `IsGatewayTimeout` compares the code only).
    pub fn is_gateway_timeout(&self) -> bool {
        self.code == 504
    }

    /// 400 with reason `CODEC`: a request body, query or path value did not decode.
    pub fn codec(message: impl Into<String>) -> Self {
        Self::new(400, REASON_CODEC, message)
    }

    /// True when `other` has the same code and reason, as Go kratos's `errors.Is`.
    pub fn is(&self, other: &Error) -> bool {
        self.code == other.code && self.reason == other.reason
    }

    /// The HTTP status to answer with: the code when it is a valid status, else 500.
    pub fn http_status(&self) -> u16 {
        match self.code {
            100..=599 => self.code as u16,
            _ => 500,
        }
    }
}

impl Clone for Error {
    /// Clones the wire fields; the local cause is not clonable and is dropped.
    fn clone(&self) -> Self {
        Self {
            code: self.code,
            reason: self.reason.clone(),
            message: self.message.clone(),
            metadata: self.metadata.clone(),
            cause: None,
        }
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.reason == other.reason
            && self.message == other.message
            && self.metadata == other.metadata
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code)
            .field("reason", &self.reason)
            .field("message", &self.message)
            .field("metadata", &self.metadata)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for Error {
    /// Go kratos's format, so logs read the same across languages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: code = {} reason = {} message = {} metadata = {:?}",
            self.code, self.reason, self.message, self.metadata
        )?;
        if let Some(cause) = &self.cause {
            write!(f, " cause = {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_go_kratos_shape() {
        let err =
            Error::not_found("USER_NOT_FOUND", "no bob").with_cause(std::io::Error::other("db"));
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(
            json,
            r#"{"code":404,"reason":"USER_NOT_FOUND","message":"no bob","metadata":{}}"#
        );
    }

    #[test]
    fn is_compares_code_and_reason() {
        let a = Error::not_found("A", "x");
        assert!(a.is(&Error::not_found("A", "other message")));
        assert!(!a.is(&Error::not_found("B", "x")));
        assert!(!a.is(&Error::bad_request("A", "x")));
    }

    #[test]
    fn out_of_range_code_answers_500() {
        assert_eq!(Error::new(42, "", "").http_status(), 500);
        assert_eq!(Error::new(422, "", "").http_status(), 422);
    }
}
