//! The process-wide codec registry, keyed by media subtype.
//!
//! Process-wide, as Go kratos's `encoding.RegisterCodec`, so a codec registered once
//! at start-up serves every server and client. Each entry keeps the reply's
//! `Content-Type` ready-made, so negotiating costs a lookup and no allocation.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use arc_swap::ArcSwap;
use http::HeaderValue;

#[cfg(feature = "form")]
use super::Form;
#[cfg(feature = "xml")]
use super::Xml;
#[cfg(feature = "yaml")]
use super::Yaml;
use super::{Codec, CodecError, Json, Proto};

/// A codec from the registry, with the `Content-Type` its replies carry.
#[derive(Clone)]
pub struct RegisteredCodec {
    codec: Arc<dyn Codec>,
    content_type: HeaderValue,
}

impl RegisteredCodec {
    fn new(codec: Arc<dyn Codec>) -> Result<Self, CodecError> {
        let name = codec.name();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-._".contains(&b));
        if !valid {
            return Err(CodecError::new(format!(
                "codec name {name:?} is not a lowercase media subtype (letters, digits, + - . _)"
            )));
        }
        // Static values for the built-in names: cloning one per reply then costs nothing.
        let content_type = match name {
            "json" => HeaderValue::from_static("application/json"),
            "proto" => HeaderValue::from_static("application/proto"),
            "xml" => HeaderValue::from_static("application/xml"),
            "yaml" => HeaderValue::from_static("application/yaml"),
            "x-www-form-urlencoded" => {
                HeaderValue::from_static("application/x-www-form-urlencoded")
            }
            _ => HeaderValue::try_from(format!("application/{name}"))
                .map_err(|e| CodecError::new(format!("codec name {name:?}: {e}")))?,
        };
        Ok(Self {
            codec,
            content_type,
        })
    }

    /// The codec's media subtype, e.g. `json`.
    pub fn name(&self) -> &str {
        self.codec.name()
    }

    /// `application/<name>`, the `Content-Type` of what this codec writes.
    pub fn content_type(&self) -> &HeaderValue {
        &self.content_type
    }

    /// The codec itself.
    pub fn codec(&self) -> &dyn Codec {
        &*self.codec
    }

    /// Appends the encoding of `value` to `out` (see [`Codec::encode`]).
    pub fn encode(&self, value: &dyn super::Encode, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.codec.encode(value, out)
    }

    /// Fills `into` from `bytes` (see [`Codec::decode`]).
    pub fn decode(&self, bytes: &[u8], into: &mut dyn super::Decode) -> Result<(), CodecError> {
        self.codec.decode(bytes, into)
    }
}

impl std::fmt::Debug for RegisteredCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredCodec")
            .field("name", &self.name())
            .field("content_type", &self.content_type)
            .finish()
    }
}

static REGISTRY: LazyLock<RwLock<HashMap<String, RegisteredCodec>>> = LazyLock::new(|| {
    let builtins: Vec<Arc<dyn Codec>> = vec![
        Arc::new(Json),
        Arc::new(Proto),
        #[cfg(feature = "xml")]
        Arc::new(Xml),
        #[cfg(feature = "yaml")]
        Arc::new(Yaml),
        #[cfg(feature = "form")]
        Arc::new(Form),
    ];
    let map = builtins
        .into_iter()
        .map(|codec| {
            let entry = RegisteredCodec::new(codec).expect("built-in codec names are valid");
            (entry.name().to_owned(), entry)
        })
        .collect();
    RwLock::new(map)
});

/// The JSON codec, kept apart from the map: it answers most calls (no `Accept`,
/// `*/*`, `application/json`), and reading it takes no lock and no hashing.
static JSON_CODEC: LazyLock<ArcSwap<RegisteredCodec>> = LazyLock::new(|| {
    let registry = REGISTRY.read().unwrap_or_else(|poison| poison.into_inner());
    let json = registry
        .get("json")
        .cloned()
        .expect("json is registered at start");
    ArcSwap::from_pointee(json)
});

/// The codec registered as `json`.
pub(crate) fn json() -> RegisteredCodec {
    (**JSON_CODEC.load()).clone()
}

/// Adds `codec` under its [`Codec::name`], replacing any codec of that name
/// (including a built-in one). The name must be a lowercase media subtype.
pub fn register(codec: Arc<dyn Codec>) -> Result<(), CodecError> {
    let entry = RegisteredCodec::new(codec)?;
    let mut registry = REGISTRY
        .write()
        .unwrap_or_else(|poison| poison.into_inner());
    if entry.name() == "json" {
        JSON_CODEC.store(Arc::new(entry.clone()));
    }
    registry.insert(entry.name().to_owned(), entry);
    Ok(())
}

/// The codec registered for a media subtype (`json`, `proto`, ...), if any.
pub fn get(subtype: &str) -> Option<RegisteredCodec> {
    // No code runs under the lock that could panic, so a poisoned lock is still sound.
    let registry = REGISTRY.read().unwrap_or_else(|poison| poison.into_inner());
    registry.get(subtype).cloned()
}

/// The names of every registered codec, sorted, for messages that list the choices.
pub fn names() -> Vec<String> {
    let registry = REGISTRY.read().unwrap_or_else(|poison| poison.into_inner());
    let mut names: Vec<String> = registry.keys().cloned().collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_registered_with_their_content_type() {
        for (name, built_in) in [
            ("json", true),
            ("proto", true),
            ("xml", cfg!(feature = "xml")),
            ("yaml", cfg!(feature = "yaml")),
            ("x-www-form-urlencoded", cfg!(feature = "form")),
        ] {
            let Some(codec) = get(name) else {
                assert!(!built_in, "{name} registered");
                continue;
            };
            assert!(built_in, "{name} is left out with its feature");
            assert_eq!(codec.name(), name);
            assert_eq!(codec.content_type(), &format!("application/{name}"));
        }
        assert!(get("csv").is_none());
    }

    #[test]
    fn names_must_be_media_subtypes() {
        struct Named(&'static str);
        impl Codec for Named {
            fn name(&self) -> &str {
                self.0
            }
            fn encode(
                &self,
                _: &dyn super::super::Encode,
                _: &mut Vec<u8>,
            ) -> Result<(), CodecError> {
                Ok(())
            }
            fn decode(&self, _: &[u8], _: &mut dyn super::super::Decode) -> Result<(), CodecError> {
                Ok(())
            }
        }
        for bad in ["", "JSON", "a/b", "a b", "a;b"] {
            assert!(register(Arc::new(Named(bad))).is_err(), "{bad:?}");
        }
        register(Arc::new(Named("vnd.test+plain"))).unwrap();
        assert_eq!(
            get("vnd.test+plain").unwrap().content_type(),
            "application/vnd.test+plain"
        );
    }
}
