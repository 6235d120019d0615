//! The errors of Go kratos's `middleware/auth/jwt`, word for word: every one is
//! 401 with reason `UNAUTHORIZED` (gRPC `UNAUTHENTICATED` through the code table),
//! so a Go client tells them apart by message as it does against a Go server.
//! None carries the token or what was wrong with it beyond the message.

use crate::error::Error;

/// The reason of every JWT error.
pub const REASON: &str = "UNAUTHORIZED";

/// No `Authorization: Bearer <token>` header (Go's `ErrMissingJwtToken`).
pub fn missing_token() -> Error {
    Error::unauthorized(REASON, "JWT token is missing")
}

/// A token that is not a JWT, or whose key cannot be found (Go's `ErrTokenInvalid`).
pub fn token_invalid() -> Error {
    Error::unauthorized(REASON, "Token is invalid")
}

/// A token past its `exp` or before its `nbf` (Go's `ErrTokenExpired`).
pub fn token_expired() -> Error {
    Error::unauthorized(REASON, "JWT token has expired")
}

/// A token whose signature or claims do not check out (Go's `ErrTokenParseFail`,
/// with its trailing space).
pub fn token_parse_fail() -> Error {
    Error::unauthorized(REASON, "Fail to parse JWT token ")
}

/// A well-signed token of another algorithm than the server's (Go's `ErrUnSupportSigningMethod`).
pub fn unsupported_signing_method() -> Error {
    Error::unauthorized(REASON, "Wrong signing method")
}

/// A client with no way to get a signing key (Go's `ErrNeedTokenProvider`): for
/// code that builds clients from configuration and finds no key in it.
pub fn need_token_provider() -> Error {
    Error::unauthorized(REASON, "Token provider is missing")
}

/// Signing failed: a key of the wrong kind for the algorithm, or claims that do
/// not serialize (Go's `ErrSignToken`).
pub fn sign_token() -> Error {
    Error::unauthorized(REASON, "Can not sign token.Is the key correct?")
}

/// The client's key function had no key for this call (Go's `ErrGetKey`).
pub fn get_key() -> Error {
    Error::unauthorized(REASON, "Can not get key while signing token")
}
