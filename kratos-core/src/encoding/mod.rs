//! Codecs: how a message becomes bytes on the wire and back, chosen by media type.
//!
//! HTTP negotiates the body encoding as Go kratos does: the request's `Content-Type`
//! picks the codec that reads the body, its `Accept` the codec that writes the reply
//! (JSON when it names nothing registered), and the reply says `Content-Type:
//! application/<codec>`. Codecs are found by media subtype in one process-wide
//! registry that starts with `json`, `proto`, and `xml`, `yaml` and
//! `x-www-form-urlencoded` when their cargo features (`xml`, `yaml`, `form`) are on;
//! [`register`] adds or replaces one (msgpack, CBOR, ...) without touching the
//! framework. A media type whose codec is left out is one no codec answers to.
//!
//! A codec never sees a concrete type: it works on the object-safe views [`Encode`]
//! and [`Decode`], which every [`Message`](crate::Message) and the kratos
//! [`Error`](crate::Error) implement. That keeps [`Codec`] usable as `dyn Codec`
//! while typed messages still take monomorphic serde_json and prost code for the two
//! encodings that carry nearly all traffic.

use std::fmt;

pub mod depth;
#[cfg(feature = "form")]
mod form;
mod json;
mod media;
mod nesting;
mod proto;
mod registry;
mod status;
mod urlencoded;
mod view;
#[cfg(feature = "xml")]
mod xml;
#[cfg(feature = "yaml")]
mod yaml;

pub use depth::{MAX_DEPTH, TooDeep};
#[cfg(feature = "form")]
pub use form::Form;
pub use json::Json;
pub use media::{for_accept, for_content_type, subtype};
pub use proto::Proto;
pub use registry::{RegisteredCodec, get, names, register};
pub use urlencoded::set_fields;
pub use view::{Decode, Encode};
#[cfg(feature = "xml")]
pub use xml::Xml;
#[cfg(feature = "yaml")]
pub use yaml::Yaml;

/// Re-exported so a codec written outside the framework names the same erased traits.
pub use erased_serde;

/// The name of the JSON codec, the default.
pub const JSON: &str = "json";
/// The name of the protobuf codec (`application/proto`; `application/x-protobuf` is read too).
pub const PROTO: &str = "proto";
/// The name of the XML codec (built in with the `xml` feature).
pub const XML: &str = "xml";
/// The name of the YAML codec (built in with the `yaml` feature).
pub const YAML: &str = "yaml";
/// The name of the HTML form codec (built in with the `form` feature).
pub const FORM: &str = "x-www-form-urlencoded";

/// Turns a message into bytes and bytes into a message, for one media subtype.
///
/// Object safe, so the registry holds codecs as `Arc<dyn Codec>`. A codec built on
/// serde erases its serializer or deserializer and hands it to the view
/// ([`Encode::as_serialize`], [`Decode::deserialize_from`]).
pub trait Codec: Send + Sync + 'static {
    /// The media subtype this codec answers to (`"json"` for `application/json`); lowercase.
    fn name(&self) -> &str;

    /// Appends the encoding of `value` to `out`.
    fn encode(&self, value: &dyn Encode, out: &mut Vec<u8>) -> Result<(), CodecError>;

    /// Fills `into`, which the caller hands over at its default value, from `bytes`.
    fn decode(&self, bytes: &[u8], into: &mut dyn Decode) -> Result<(), CodecError>;
}

/// Why a codec could not encode or decode.
#[derive(Debug)]
pub struct CodecError {
    unsupported: bool,
    error: Box<dyn std::error::Error + Send + Sync>,
}

impl CodecError {
    /// The bytes are not a valid encoding of the value (HTTP answers 400).
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            unsupported: false,
            error: error.into(),
        }
    }

    /// The codec cannot carry this value or media type at all (HTTP answers 415).
    pub fn unsupported(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            unsupported: true,
            error: error.into(),
        }
    }

    /// The body nests deeper than [`MAX_DEPTH`] (HTTP answers 400).
    pub fn too_deep() -> Self {
        Self::new(TooDeep)
    }

    /// A protobuf body prost could not decode; passing prost's recursion limit (the
    /// same [`MAX_DEPTH`]) reads as [`CodecError::too_deep`].
    pub fn from_proto(error: prost::DecodeError) -> Self {
        // prost exposes no error kind, only this text, stable since its limit was added.
        if error.to_string().ends_with("recursion limit reached") {
            Self::too_deep()
        } else {
            Self::new(error)
        }
    }

    /// True for [`CodecError::unsupported`]: no content of this media type can work.
    pub fn is_unsupported(&self) -> bool {
        self.unsupported
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for CodecError {
    /// The wrapped error's own source: its text is already this error's text.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}
