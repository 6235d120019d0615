//! The protobuf codec, through prost: `application/proto` as Go kratos names it
//! (`application/x-protobuf` is read as the same).

use super::{Codec, CodecError, Decode, Encode, PROTO};

/// `application/proto`, through prost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proto;

impl Codec for Proto {
    fn name(&self) -> &str {
        PROTO
    }

    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        value.encode_proto(out)
    }

    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError> {
        into.decode_proto(bytes)
    }
}
