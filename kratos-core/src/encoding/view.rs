//! The object-safe views a codec works on, and their blanket implementation for
//! every [`Message`].
//!
//! serde's traits and prost's `Message` are generic, so neither can be a `dyn`
//! argument; the views erase them. JSON and protobuf also get a method of their own,
//! so that for a typed message they run the monomorphic serde_json and prost code
//! instead of going through an erased serializer on every call.

use crate::message::{FieldError, Message};

use super::CodecError;

/// A value a codec can write: a message, an error, or a user's own envelope.
pub trait Encode {
    /// The value as an erased serde `Serialize`, for every serde-based codec.
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;

    /// Appends the value's JSON to `out`; typed messages skip the erasure.
    fn encode_json(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        serde_json::to_writer(out, self.as_serialize()).map_err(CodecError::new)
    }

    /// Appends the value's protobuf encoding to `out`; only messages and errors have one.
    fn encode_proto(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let _ = out;
        Err(CodecError::unsupported(
            "this value has no protobuf encoding",
        ))
    }
}

/// A value a codec can fill, handed over at its default value.
pub trait Decode {
    /// Replaces the value with what `deserializer` yields, for every serde-based codec.
    fn deserialize_from<'de>(
        &mut self,
        deserializer: &mut dyn erased_serde::Deserializer<'de>,
    ) -> Result<(), erased_serde::Error>;

    /// Replaces the value with the JSON in `bytes`; typed messages skip the erasure.
    fn decode_json(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        self.deserialize_from(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
            .map_err(CodecError::new)?;
        de.end().map_err(CodecError::new)
    }

    /// Replaces the value with the protobuf message in `bytes`.
    fn decode_proto(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let _ = bytes;
        Err(CodecError::unsupported(
            "this value has no protobuf encoding",
        ))
    }

    /// Sets (or, for a repeated field, appends to) the field at a dotted `path` from
    /// text, as a form body or a query string does.
    fn set_field(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        let _ = text;
        Err(FieldError::Unknown(path.join(".")))
    }
}

impl<M: Message> Encode for M {
    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }

    fn encode_json(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        serde_json::to_writer(out, self).map_err(CodecError::new)
    }

    fn encode_proto(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        // Reserving first makes the encode a single allocation at most.
        out.reserve(self.encoded_len());
        prost::Message::encode(self, out).map_err(CodecError::new)
    }
}

impl<M: Message> Decode for M {
    fn deserialize_from<'de>(
        &mut self,
        deserializer: &mut dyn erased_serde::Deserializer<'de>,
    ) -> Result<(), erased_serde::Error> {
        *self = erased_serde::deserialize(deserializer)?;
        Ok(())
    }

    fn decode_json(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        *self = serde_json::from_slice(bytes).map_err(CodecError::new)?;
        Ok(())
    }

    fn decode_proto(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        *self = <M as prost::Message>::decode(bytes).map_err(CodecError::from_proto)?;
        Ok(())
    }

    fn set_field(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        self.set_text(path, text)
    }
}
