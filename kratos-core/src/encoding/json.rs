//! The JSON codec, the default. A message's own serde implementation already follows
//! the protobuf JSON mapping (lowerCamel names, 64-bit integers as strings, ...), so
//! this codec only runs serde_json, once the body's nesting is checked.

use super::{Codec, CodecError, Decode, Encode, JSON};

/// `application/json`, through serde_json.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Codec for Json {
    fn name(&self) -> &str {
        JSON
    }

    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        value.encode_json(out)
    }

    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError> {
        super::nesting::json(bytes).map_err(CodecError::new)?;
        into.decode_json(bytes)
    }
}
