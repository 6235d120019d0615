//! `jwt`: JSON Web Token authentication with Go kratos's `middleware/auth/jwt`
//! answers, on the `jsonwebtoken` crate with its pure-Rust (RustCrypto) backend.
//!
//! [`server`] reads `Authorization: Bearer <token>` (the scheme in any case),
//! finds the key (one key, or one per token header with [`server_with_keys`]),
//! checks the signature, `exp` and `nbf` (Go kratos's defaults: no claim required,
//! no leeway; [`Server::require_exp`], [`Server::issuer`], [`Server::audience`],
//! [`Server::leeway`] tighten them) and the algorithm (HS256 unless
//! [`Server::algorithm`]), then puts the claims in the [`Context`] for handlers:
//! [`claims`]. [`client`] signs a token per call with the claims its closure gives.
//!
//! Every failure is 401 `UNAUTHORIZED` with Go kratos's message ([`errors`]),
//! `UNAUTHENTICATED` over gRPC. To leave operations out (a login), wrap the
//! server in a [`selector`](crate::middleware::selector::selector) or name a
//! middleware that delegates to it in the methods' `#[middleware(..)]`. Tokens
//! are never logged: the `authorization` header is redacted everywhere, and no
//! error carries the token.
//!
//! [`Context`]: crate::context::Context

mod client;
pub mod errors;
mod server;
mod verify;

pub use client::{Client, client, client_with_keys};
pub use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
pub use server::{Server, claims, server, server_with_keys};
