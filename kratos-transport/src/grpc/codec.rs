//! What a unary gRPC request must be before its handler runs, and the answer when it
//! is not: the content type (`application/grpc` or `application/grpc+proto`), exactly
//! one request message, and a message that decodes.
//!
//! Every rejection is a kratos error turned into a status with an `ErrorInfo` detail,
//! reason `CODEC`, so a gRPC client learns what was wrong the way an HTTP client does
//! from its 400 body:
//!
//! - a message that does not decode (bad bytes, nesting past prost's limit of 100)
//!   is `INVALID_ARGUMENT`, as HTTP answers 400 for the same bytes. The gRPC status
//!   code table and grpc-go say `INTERNAL` here; kratos does not, because `INTERNAL`
//!   pages the server's owners for a client's mistake.
//! - zero or several request messages on a unary method is `UNIMPLEMENTED`, the code
//!   the gRPC status code table gives a request cardinality violation (grpc-go answers
//!   `INTERNAL` "cardinality violation"; tonic alone ignores the extra messages).
//! - a content type that is not gRPC with protobuf (`application/json`,
//!   `application/grpc+json`, none) is HTTP 415 with `INVALID_ARGUMENT`, as grpc-go
//!   answers a non-gRPC content type; a `+json` subtype is refused too, where grpc-go
//!   would decode it as protobuf anyway, because this server has no other gRPC codec.

use std::marker::PhantomData;

use kratos_core::Error;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, Streaming};
use tonic_prost::ProstEncoder;

use super::status::status_from_error;

/// prost's protobuf codec, with a decoder that answers an undecodable message with
/// `INVALID_ARGUMENT` and reason `CODEC` instead of tonic-prost's `INTERNAL`.
pub(crate) struct ProtoCodec<T, U>(PhantomData<fn() -> (T, U)>);

impl<T, U> Default for ProtoCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
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
        ProtoDecoder(PhantomData)
    }
}

/// Decodes one request message with prost, whose recursion limit bounds nesting.
pub(crate) struct ProtoDecoder<U>(PhantomData<fn() -> U>);

impl<U: prost::Message + Default> Decoder for ProtoDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf)
            .map(Some)
            .map_err(|e| status_from_error(&Error::codec(format!("body unmarshal: {e}"))))
    }
}

/// The one request message of a unary call, read to the end of the request body so
/// that a second message is refused rather than ignored.
pub(crate) async fn single_message<U>(stream: &mut Streaming<U>) -> Result<U, Status> {
    let Some(message) = stream.message().await? else {
        return Err(cardinality("no request message"));
    };
    if stream.message().await?.is_some() {
        return Err(cardinality("more than one request message"));
    }
    Ok(message)
}

fn cardinality(what: &str) -> Status {
    status_from_error(&Error::new(
        501,
        kratos_core::error::REASON_CODEC,
        format!("a unary call carries exactly one request message, this one had {what}"),
    ))
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
pub(crate) fn reject_content_type<B: Default>(
    headers: &http::HeaderMap,
) -> Option<http::Response<B>> {
    let found = headers.get(http::header::CONTENT_TYPE);
    if found.is_some_and(|v| is_grpc_proto(v.as_bytes())) {
        return None;
    }
    let found = match found {
        Some(v) => format!("content-type {:?}", String::from_utf8_lossy(v.as_bytes())),
        None => String::from("no content-type"),
    };
    let error = Error::codec(format!(
        "unsupported gRPC request: {found}; this server reads application/grpc and application/grpc+proto"
    ));
    let mut response = status_from_error(&error).into_http::<B>();
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
