//! What a unary gRPC request must be before its handler runs, and the answer when it
//! is not: the content type (`application/grpc` or `application/grpc+proto`), exactly
//! one request message, and a message that decodes.
//!
//! - a message that does not decode (bad bytes, nesting past prost's limit of 100)
//!   is `INVALID_ARGUMENT` with an `ErrorInfo` detail, reason `CODEC`, as HTTP answers
//!   400 `CODEC` for the same bytes (tonic-prost answers `INTERNAL`, which pages the
//!   server's owners for a client's mistake).
//! - a second request message on a unary call is `INTERNAL`, a cardinality violation,
//!   as grpc-go answers it (tonic alone decodes and ignores it).
//! - a content type that is not gRPC with protobuf (`application/json`,
//!   `application/grpc+json`, none) is HTTP 415 with `INVALID_ARGUMENT`, as grpc-go
//!   answers a non-gRPC content type, with reason `CODEC`.

use std::marker::PhantomData;

use kratos_core::Error;
use tonic::Status;
use tonic::body::Body;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

use super::status::status_from_error;

/// prost's protobuf codec for a method's server side: replies of `T`, requests of
/// `U` (exactly one for a unary method).
pub(crate) struct ProtoCodec<T, U> {
    /// Whether the call carries a stream of requests rather than one.
    many: bool,
    types: PhantomData<fn() -> (T, U)>,
}

impl<T, U> ProtoCodec<T, U> {
    /// The codec of a unary call: a second request message is refused.
    pub(crate) fn unary() -> Self {
        Self {
            many: false,
            types: PhantomData,
        }
    }

    /// The codec of a streaming call: any number of request messages.
    pub(crate) fn streaming() -> Self {
        Self {
            many: true,
            types: PhantomData,
        }
    }
}

impl<T, U> Codec for ProtoCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProtoDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProtoDecoder {
            decoded: false,
            many: self.many,
            message: PhantomData,
        }
    }
}

/// Decodes request messages with prost (whose recursion limit bounds nesting); on a
/// unary call it refuses a second one: tonic reads the body to its end before the
/// handler runs, so a second message reaches this decoder first.
pub(crate) struct ProtoDecoder<U> {
    decoded: bool,
    many: bool,
    message: PhantomData<fn() -> U>,
}

impl<U: prost::Message + Default> Decoder for ProtoDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        if std::mem::replace(&mut self.decoded, true) && !self.many {
            return Err(Status::internal(
                "cardinality violation: a unary call carries more than one request message",
            ));
        }
        U::decode(buf)
            .map(Some)
            .map_err(|e| status_from_error(&Error::codec(format!("request unmarshal: {e}"))))
    }
}

/// Content types a kratos gRPC server decodes: gRPC with its default (protobuf)
/// subtype or `+proto`, each optionally followed by parameters.
fn is_grpc_proto(content_type: &[u8]) -> bool {
    let media = match content_type.iter().position(|&b| b == b';') {
        Some(end) => &content_type[..end],
        None => content_type,
    };
    let media = media.trim_ascii();
    media.eq_ignore_ascii_case(b"application/grpc")
        || media.eq_ignore_ascii_case(b"application/grpc+proto")
}

/// The answer to a request whose content type this server does not decode: HTTP 415
/// carrying `INVALID_ARGUMENT`, reason `CODEC`; `None` when the request is gRPC with
/// protobuf.
pub(crate) fn refuse_content_type(headers: &http::HeaderMap) -> Option<http::Response<Body>> {
    let found = headers.get(http::header::CONTENT_TYPE);
    if found.is_some_and(|v| is_grpc_proto(v.as_bytes())) {
        return None;
    }
    let found = String::from_utf8_lossy(found.map_or(&b""[..], |v| v.as_bytes())).into_owned();
    let error = Error::codec(format!(
        "invalid gRPC request content-type {found:?}: this server reads application/grpc and application/grpc+proto"
    ));
    let mut response = status_from_error(&error).into_http::<Body>();
    *response.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_with_protobuf_is_accepted_in_any_spelling() {
        for accepted in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC",
            "application/grpc; charset=utf-8",
            "application/grpc+proto;x=1",
        ] {
            assert!(is_grpc_proto(accepted.as_bytes()), "{accepted}");
        }
        for refused in [
            "",
            "application/json",
            "application/grpc+json",
            "application/grpc-web",
            "application/grpcx",
            "text/plain",
        ] {
            assert!(!is_grpc_proto(refused.as_bytes()), "{refused}");
        }
    }
}
