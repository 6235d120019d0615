//! The YAML codec, through serde_norway (the maintained fork of serde_yaml that the
//! config loader already uses).

use super::{Codec, CodecError, Decode, Encode, YAML};

/// `application/yaml`, through serde_norway.
#[derive(Debug, Clone, Copy, Default)]
pub struct Yaml;

impl Codec for Yaml {
    fn name(&self) -> &str {
        YAML
    }

    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        serde_norway::to_writer(out, value.as_serialize()).map_err(CodecError::new)
    }

    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError> {
        super::nesting::yaml(bytes).map_err(CodecError::new)?;
        let de = serde_norway::Deserializer::from_slice(bytes);
        into.deserialize_from(&mut <dyn erased_serde::Deserializer>::erase(de))
            .map_err(CodecError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn an_error_round_trips() {
        let error = Error::conflict("TAKEN", "in use").with_metadata("id", "7");
        let mut bytes = Vec::new();
        Yaml.encode(&error, &mut bytes).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("code: 409\n"), "{text}");
        let mut back = Error::default();
        Yaml.decode(&bytes, &mut back).unwrap();
        assert_eq!(back, error);
        assert!(Yaml.decode(b"code: [", &mut back).is_err());
    }
}
