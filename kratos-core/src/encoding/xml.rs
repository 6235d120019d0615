//! The XML codec, through quick-xml's serde support.
//!
//! The root element is named after the type (`<HelloReply>`), as Go's
//! `encoding/xml` names it after the struct; fields are child elements and a
//! repeated field repeats its element. On input the root's name is not checked.
//! XML has no null: an unset message field is written as an empty element
//! (`<page/>`) and read back as a present, empty message.

use super::{Codec, CodecError, Decode, Encode, XML};

/// `application/xml`, through quick-xml.
#[derive(Debug, Clone, Copy, Default)]
pub struct Xml;

impl Codec for Xml {
    fn name(&self) -> &str {
        XML
    }

    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        quick_xml::se::to_utf8_io_writer(out, value.as_serialize())
            .map(drop)
            .map_err(CodecError::new)
    }

    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError> {
        let text = std::str::from_utf8(bytes).map_err(CodecError::new)?;
        super::nesting::xml(text).map_err(CodecError::new)?;
        let mut de = quick_xml::de::Deserializer::from_str(text);
        into.deserialize_from(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
            .map_err(CodecError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn an_error_round_trips() {
        let error = Error::not_found("GONE", "a < b").with_metadata("id", "7");
        let mut bytes = Vec::new();
        Xml.encode(&error, &mut bytes).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("<Error><code>404</code>"), "{text}");
        assert!(text.contains("<message>a &lt; b</message>"), "{text}");
        let mut back = Error::default();
        Xml.decode(&bytes, &mut back).unwrap();
        assert_eq!(back, error);
    }
}
