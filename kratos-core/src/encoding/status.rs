//! The kratos [`Error`] as a value codecs can write and read, so an error body is
//! negotiated like any reply.
//!
//! Its serde form is the body `{code, reason, message, metadata}`. Its protobuf form
//! is Go kratos's `errors.Status` (`int32 code = 1; string reason = 2; string message
//! = 3; map<string, string> metadata = 4;`), written by hand with prost's field
//! helpers because `Error` carries a local cause that is no protobuf field.

use prost::encoding::{self, DecodeContext, WireType, btree_map, int32, string};

use super::CodecError;
use super::view::{Decode, Encode};
use crate::error::Error;
use crate::message::FieldError;

const CODE: u32 = 1;
const REASON: u32 = 2;
const MESSAGE: u32 = 3;
const METADATA: u32 = 4;

fn encoded_len(error: &Error) -> usize {
    let mut len = 0;
    if error.code != 0 {
        len += int32::encoded_len(CODE, &error.code);
    }
    if !error.reason.is_empty() {
        len += string::encoded_len(REASON, &error.reason);
    }
    if !error.message.is_empty() {
        len += string::encoded_len(MESSAGE, &error.message);
    }
    len + btree_map::encoded_len(
        string::encoded_len,
        string::encoded_len,
        METADATA,
        &error.metadata,
    )
}

fn merge_field(
    error: &mut Error,
    tag: u32,
    wire_type: WireType,
    buf: &mut &[u8],
) -> Result<(), prost::DecodeError> {
    let ctx = DecodeContext::default();
    match tag {
        CODE => int32::merge(wire_type, &mut error.code, buf, ctx),
        REASON => string::merge(wire_type, &mut error.reason, buf, ctx),
        MESSAGE => string::merge(wire_type, &mut error.message, buf, ctx),
        METADATA => btree_map::merge(string::merge, string::merge, &mut error.metadata, buf, ctx),
        _ => encoding::skip_field(wire_type, tag, buf, ctx),
    }
}

impl Encode for Error {
    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }

    fn encode_json(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        serde_json::to_writer(out, self).map_err(CodecError::new)
    }

    fn encode_proto(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.reserve(encoded_len(self));
        // Proto3 leaves zero values out, as Go's proto.Marshal of a Status does.
        if self.code != 0 {
            int32::encode(CODE, &self.code, out);
        }
        if !self.reason.is_empty() {
            string::encode(REASON, &self.reason, out);
        }
        if !self.message.is_empty() {
            string::encode(MESSAGE, &self.message, out);
        }
        btree_map::encode(
            string::encode,
            string::encoded_len,
            string::encode,
            string::encoded_len,
            METADATA,
            &self.metadata,
            out,
        );
        Ok(())
    }
}

impl Decode for Error {
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

    fn decode_proto(&mut self, mut bytes: &[u8]) -> Result<(), CodecError> {
        let mut error = Error::default();
        while !bytes.is_empty() {
            let (tag, wire_type) = encoding::decode_key(&mut bytes).map_err(CodecError::new)?;
            merge_field(&mut error, tag, wire_type, &mut bytes).map_err(CodecError::new)?;
        }
        *self = error;
        Ok(())
    }

    fn set_field(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        let invalid = |reason: String| FieldError::Invalid {
            field: path.join("."),
            reason,
        };
        match path {
            ["code"] => {
                self.code = text
                    .parse()
                    .map_err(|e| invalid(format!("{text:?} is not an int32: {e}")))?;
            }
            ["reason"] => text.clone_into(&mut self.reason),
            ["message"] => text.clone_into(&mut self.message),
            ["metadata", key] => {
                self.metadata.insert((*key).to_owned(), text.to_owned());
            }
            _ => return Err(FieldError::Unknown(path.join("."))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same message as Go kratos's `errors.Status`, written with prost's derive.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        reason: String,
        #[prost(string, tag = "3")]
        message: String,
        #[prost(btree_map = "string, string", tag = "4")]
        metadata: std::collections::BTreeMap<String, String>,
    }

    #[test]
    fn proto_matches_a_derived_status_both_ways() {
        let error = Error::not_found("USER_NOT_FOUND", "no bob").with_metadata("name", "bob");
        let mut ours = Vec::new();
        error.encode_proto(&mut ours).unwrap();
        let theirs = <Status as prost::Message>::decode(ours.as_slice()).unwrap();
        assert_eq!(theirs.code, 404);
        assert_eq!(theirs.reason, "USER_NOT_FOUND");
        assert_eq!(theirs.message, "no bob");
        assert_eq!(theirs.metadata["name"], "bob");
        assert_eq!(prost::Message::encode_to_vec(&theirs), ours);

        let mut back = Error::default();
        back.decode_proto(&ours).unwrap();
        assert_eq!(back, error);
    }

    #[test]
    fn fields_set_from_text() {
        let mut error = Error::default();
        error.set_field(&["code"], "409").unwrap();
        error.set_field(&["reason"], "TAKEN").unwrap();
        error.set_field(&["metadata", "k"], "v").unwrap();
        assert_eq!(error, Error::conflict("TAKEN", "").with_metadata("k", "v"));
        assert!(error.set_field(&["code"], "x").is_err());
        assert_eq!(
            error.set_field(&["nope"], "1"),
            Err(FieldError::Unknown("nope".into()))
        );
    }
}
