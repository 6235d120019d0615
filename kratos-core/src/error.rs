//! The kratos error: an HTTP-style code, a machine-readable reason, a message and
//! metadata, carried the same way over HTTP and gRPC.
//!
//! On HTTP the error is the body `{"code","reason","message","metadata"}` with the
//! code as status; on gRPC it is a status whose code comes from [`grpc_code`] and
//! whose details carry a `google.rpc.ErrorInfo`. Both encodings are Go kratos v2.9's.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

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
/// The reason of a recovered panic or an unclassified failure.
pub const REASON_UNKNOWN: &str = "UNKNOWN";

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

    /// Adds one metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Attaches the local cause, reported by `source()` and never sent.
    pub fn with_cause(
        mut self,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(400, reason, message)
    }

    /// 404: the addressed thing does not exist.
    pub fn not_found(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(404, reason, message)
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

impl From<std::io::Error> for Error {
    /// A plain error is code 500 with an empty reason, as in Go kratos.
    fn from(err: std::io::Error) -> Self {
        Error::new(500, "", err.to_string()).with_cause(err)
    }
}

/// gRPC status codes, by number, as the wire mapping needs them.
pub mod grpc {
    /// `OK`.
    pub const OK: i32 = 0;
    /// `CANCELLED`.
    pub const CANCELLED: i32 = 1;
    /// `UNKNOWN`.
    pub const UNKNOWN: i32 = 2;
    /// `INVALID_ARGUMENT`.
    pub const INVALID_ARGUMENT: i32 = 3;
    /// `DEADLINE_EXCEEDED`.
    pub const DEADLINE_EXCEEDED: i32 = 4;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: i32 = 5;
    /// `ALREADY_EXISTS`.
    pub const ALREADY_EXISTS: i32 = 6;
    /// `PERMISSION_DENIED`.
    pub const PERMISSION_DENIED: i32 = 7;
    /// `RESOURCE_EXHAUSTED`.
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    /// `FAILED_PRECONDITION`.
    pub const FAILED_PRECONDITION: i32 = 9;
    /// `ABORTED`.
    pub const ABORTED: i32 = 10;
    /// `OUT_OF_RANGE`.
    pub const OUT_OF_RANGE: i32 = 11;
    /// `UNIMPLEMENTED`.
    pub const UNIMPLEMENTED: i32 = 12;
    /// `INTERNAL`.
    pub const INTERNAL: i32 = 13;
    /// `UNAVAILABLE`.
    pub const UNAVAILABLE: i32 = 14;
    /// `DATA_LOSS`.
    pub const DATA_LOSS: i32 = 15;
    /// `UNAUTHENTICATED`.
    pub const UNAUTHENTICATED: i32 = 16;
}

/// The gRPC status code for an HTTP-style code (Go kratos `httpstatus.ToGRPCCode`).
///
/// Codes outside the table become `UNKNOWN`, which maps back to 500: a 422 sent over
/// gRPC arrives as 500, exactly as between Go kratos services.
pub fn grpc_code(http: i32) -> i32 {
    match http {
        200 => grpc::OK,
        400 => grpc::INVALID_ARGUMENT,
        401 => grpc::UNAUTHENTICATED,
        403 => grpc::PERMISSION_DENIED,
        404 => grpc::NOT_FOUND,
        409 => grpc::ABORTED,
        429 => grpc::RESOURCE_EXHAUSTED,
        499 => grpc::CANCELLED,
        500 => grpc::INTERNAL,
        501 => grpc::UNIMPLEMENTED,
        503 => grpc::UNAVAILABLE,
        504 => grpc::DEADLINE_EXCEEDED,
        _ => grpc::UNKNOWN,
    }
}

/// The HTTP-style code for a gRPC status code (Go kratos `httpstatus.FromGRPCCode`).
pub fn http_code(grpc: i32) -> i32 {
    match grpc {
        grpc::OK => 200,
        grpc::CANCELLED => 499,
        grpc::UNKNOWN => 500,
        grpc::INVALID_ARGUMENT => 400,
        grpc::DEADLINE_EXCEEDED => 504,
        grpc::NOT_FOUND => 404,
        grpc::ALREADY_EXISTS => 409,
        grpc::PERMISSION_DENIED => 403,
        grpc::UNAUTHENTICATED => 401,
        grpc::RESOURCE_EXHAUSTED => 429,
        grpc::FAILED_PRECONDITION => 400,
        grpc::ABORTED => 409,
        grpc::OUT_OF_RANGE => 400,
        grpc::UNIMPLEMENTED => 501,
        grpc::INTERNAL => 500,
        grpc::UNAVAILABLE => 503,
        grpc::DATA_LOSS => 500,
        _ => 500,
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
    fn codes_round_trip_through_grpc_table() {
        for code in [200, 400, 401, 403, 404, 429, 499, 500, 501, 503, 504] {
            assert_eq!(http_code(grpc_code(code)), code, "code {code}");
        }
        assert_eq!(http_code(grpc_code(409)), 409);
        assert_eq!(http_code(grpc_code(422)), 500);
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
