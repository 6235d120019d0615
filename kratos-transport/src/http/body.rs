//! Decoding a request body into the message, or into one field of it for a route
//! with `body = "field"`, with the codec the request's `Content-Type` chose.
//!
//! For a field, no intermediate value is built: serde codecs read the body through
//! a deserializer that presents it as `{"field": <body>}` to the message's own
//! `Deserialize`, so each codec decodes the field with its real type (XML and YAML
//! text included); protobuf wraps the body as the field's bytes (its number comes
//! from the message descriptor) and merges that; a form prefixes every key with the
//! field path.
//!
//! A large body decodes on tokio's blocking pool, not on the async worker that read
//! it: a codec's cost grows with the body (YAML and XML by far the most, a user's
//! codec unknown), and a worker held for the whole decode of a 4 MiB body answers
//! nothing else meanwhile, on either transport. At most one large decode per core
//! runs at a time; the others wait for a turn without holding a thread, so a flood
//! of costly bodies cannot crowd the workers off the CPU either.

use std::fmt;

use bytes::Bytes;
use kratos_core::descriptor::{FieldKind, FieldType, MessageDescriptor};
use kratos_core::encoding::{CodecError, Decode, RegisteredCodec, erased_serde};
use kratos_core::error::{PANIC_MESSAGE, REASON_CODEC, REASON_UNKNOWN};
use kratos_core::{Error, FieldError, Message, RouteBody};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

/// Bodies up to this size decode where they were read; larger ones on the blocking
/// pool. Below it, a decode costs less than handing it to another thread would.
pub(crate) const INLINE_DECODE_BYTES: usize = 64 * 1024;

/// Decodes `bytes` into `message` as the route's `body` says; an empty body leaves it
/// as it is. A codec that cannot carry the body is 415, a body that does not decode
/// (nesting past `MAX_DEPTH` included) 400.
pub(crate) async fn bind_body<T: Message>(
    message: &mut T,
    body: RouteBody,
    codec: &RegisteredCodec,
    bytes: &Bytes,
) -> Result<(), Error> {
    if bytes.is_empty() || matches!(body, RouteBody::None) {
        return Ok(());
    }
    if bytes.len() <= INLINE_DECODE_BYTES {
        return decode(message, body, codec, bytes);
    }
    let turn = large_decodes()
        .acquire()
        .await
        .map_err(|_| Error::internal_server("", "the large-body decoder is closed"))?;
    let (mut owned, codec, bytes) = (std::mem::take(message), codec.clone(), bytes.clone());
    let decoded = tokio::task::spawn_blocking(move || {
        let decoded = decode(&mut owned, body, &codec, &bytes);
        (owned, decoded)
    })
    .await;
    drop(turn);
    match decoded {
        Ok((owned, decoded)) => {
            *message = owned;
            decoded
        }
        // A codec that panicked answers as a handler that panicked does.
        Err(join) => {
            tracing::error!(error = %join, "a request body's codec panicked");
            Err(Error::new(500, REASON_UNKNOWN, PANIC_MESSAGE))
        }
    }
}

/// The turns for large decodes on the blocking pool: one per core of the machine.
fn large_decodes() -> &'static tokio::sync::Semaphore {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores)
    })
}

/// [`bind_body`] on the current thread.
fn decode<T: Message>(
    message: &mut T,
    body: RouteBody,
    codec: &RegisteredCodec,
    bytes: &[u8],
) -> Result<(), Error> {
    let decoded = match body {
        RouteBody::None => return Ok(()),
        RouteBody::All => codec.decode(bytes, message),
        RouteBody::Field(field) => codec.decode(bytes, &mut BodyField { message, field }),
    };
    decoded.map_err(|e| {
        if e.is_unsupported() {
            Error::new(
                415,
                REASON_CODEC,
                format!(
                    "body unmarshal: {} cannot carry this body: {e}",
                    codec.name()
                ),
            )
        } else {
            Error::codec(format!("body unmarshal: {e}")).with_cause(e)
        }
    })
}

/// The message seen through one of its fields, the target of a `body = "field"` route.
struct BodyField<'m, M> {
    message: &'m mut M,
    /// The field's dotted path, as the route names it.
    field: &'static str,
}

impl<M: Message> Decode for BodyField<'_, M> {
    fn deserialize_from<'de>(
        &mut self,
        deserializer: &mut dyn erased_serde::Deserializer<'de>,
    ) -> Result<(), erased_serde::Error> {
        *self.message = M::deserialize(Nested {
            path: self.field,
            inner: deserializer,
        })?;
        Ok(())
    }

    fn decode_json(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        *self.message = M::deserialize(Nested {
            path: self.field,
            inner: &mut de,
        })
        .map_err(CodecError::new)?;
        de.end().map_err(CodecError::new)
    }

    fn decode_proto(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let numbers = field_numbers(M::descriptor(), self.field).map_err(|why| {
            CodecError::unsupported(format!(
                "a protobuf body for `body = \"{}\"` must be a message field: {why}",
                self.field
            ))
        })?;
        let mut wrapped = bytes.to_vec();
        for number in numbers.into_iter().rev() {
            let mut outer = Vec::with_capacity(wrapped.len() + 10);
            prost::encoding::encode_key(
                number,
                prost::encoding::WireType::LengthDelimited,
                &mut outer,
            );
            prost::encoding::encode_varint(wrapped.len() as u64, &mut outer);
            outer.extend_from_slice(&wrapped);
            wrapped = outer;
        }
        *self.message =
            <M as prost::Message>::decode(wrapped.as_slice()).map_err(CodecError::from_proto)?;
        Ok(())
    }

    fn set_field(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        let mut full: Vec<&str> = self.field.split('.').collect();
        full.extend_from_slice(path);
        self.message.set_text(&full, text)
    }
}

/// The field numbers along a dotted path of message fields, from the descriptors.
fn field_numbers(mut descriptor: &MessageDescriptor, path: &str) -> Result<Vec<u32>, String> {
    let mut numbers = Vec::new();
    for part in path.split('.') {
        let field = descriptor
            .fields
            .iter()
            .find(|f| f.name == part || f.json_name == part)
            .ok_or_else(|| {
                format!(
                    "the descriptor of {} lists no field {part:?}",
                    descriptor.name
                )
            })?;
        let FieldKind::Singular(FieldType::Message(next)) = field.kind else {
            return Err(format!(
                "{}.{part} is not a message, and a protobuf body is one",
                descriptor.name
            ));
        };
        numbers.push(field.number);
        descriptor = next();
    }
    Ok(numbers)
}

/// A deserializer that shows `inner` as the value at a dotted `path` in otherwise
/// empty maps: `page` gives `{"page": inner}`, `a.b` gives `{"a": {"b": inner}}`.
struct Nested<'p, D> {
    path: &'p str,
    inner: D,
}

impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for Nested<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_map(Entry {
            path: self.path,
            inner: Some(self.inner),
        })
    }

    /// An intermediate field is an `Option<Message>`: it is present.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The single entry of a [`Nested`] map.
struct Entry<'p, D> {
    path: &'p str,
    inner: Option<D>,
}

impl<'de, D: de::Deserializer<'de>> MapAccess<'de> for Entry<'_, D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, D::Error> {
        if self.inner.is_none() {
            return Ok(None);
        }
        let key = self.path.split_once('.').map_or(self.path, |(key, _)| key);
        seed.deserialize(de::value::StrDeserializer::<D::Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, D::Error> {
        let inner = self
            .inner
            .take()
            .ok_or_else(|| <D::Error as de::Error>::custom(Twice))?;
        match self.path.split_once('.') {
            None => seed.deserialize(inner),
            Some((_, rest)) => seed.deserialize(Nested { path: rest, inner }),
        }
    }
}

/// A value asked for twice: a `Deserialize` that breaks the `MapAccess` contract.
struct Twice;

impl fmt::Display for Twice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the body field's value was read twice")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        #[serde(default)]
        a: Option<Inner>,
        #[serde(default)]
        other: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        b: Option<Leaf>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Leaf {
        n: u32,
    }

    /// A message written by hand, with the descriptor the message macro will fill.
    #[derive(Clone, PartialEq, prost::Message, serde::Serialize, serde::Deserialize)]
    struct Holder {
        #[prost(string, tag = "1")]
        name: String,
        #[prost(message, optional, tag = "7")]
        page: Option<LeafPb>,
    }

    #[derive(Clone, PartialEq, prost::Message, serde::Serialize, serde::Deserialize)]
    struct LeafPb {
        #[prost(uint32, tag = "1")]
        n: u32,
    }

    impl kratos_core::FieldValue for Holder {
        fn set_text(&mut self, path: &[&str], _: &str) -> Result<(), FieldError> {
            Err(FieldError::Unknown(path.join(".")))
        }
    }

    fn leaf() -> &'static MessageDescriptor {
        static LEAF: MessageDescriptor = MessageDescriptor {
            name: "Leaf",
            package: None,
            fields: &[],
            doc: "",
        };
        &LEAF
    }

    impl Message for Holder {
        const DESCRIPTOR: &'static MessageDescriptor = &MessageDescriptor {
            name: "Holder",
            package: None,
            fields: &[
                kratos_core::descriptor::FieldDescriptor {
                    name: "name",
                    json_name: "name",
                    number: 1,
                    kind: FieldKind::Singular(FieldType::String),
                    doc: "",
                    rules: &[],
                },
                kratos_core::descriptor::FieldDescriptor {
                    name: "page",
                    json_name: "page",
                    number: 7,
                    kind: FieldKind::Singular(FieldType::Message(leaf)),
                    doc: "",
                    rules: &[],
                },
            ],
            doc: "",
        };
    }

    #[test]
    fn proto_body_field_is_merged_under_the_field_number() {
        let body = prost::Message::encode_to_vec(&LeafPb { n: 5 });
        let mut holder = Holder::default();
        let proto = kratos_core::encoding::get("proto").unwrap();
        decode(&mut holder, RouteBody::Field("page"), &proto, &body).unwrap();
        assert_eq!(holder.page, Some(LeafPb { n: 5 }));

        let error = decode(&mut holder, RouteBody::Field("name"), &proto, &body).unwrap_err();
        assert_eq!((error.code, error.reason.as_str()), (415, REASON_CODEC));
        assert!(
            error.message.contains("Holder.name is not a message"),
            "{}",
            error.message
        );
        let error = decode(&mut holder, RouteBody::Field("nope"), &proto, &body).unwrap_err();
        assert_eq!(error.code, 415);
        assert!(
            error.message.contains("lists no field \"nope\""),
            "{}",
            error.message
        );
    }

    #[test]
    fn nested_puts_the_body_under_its_path() {
        let mut de = serde_json::Deserializer::from_str(r#"{"n": 3}"#);
        let outer = Outer::deserialize(Nested {
            path: "a.b",
            inner: &mut de,
        })
        .unwrap();
        assert_eq!(
            outer,
            Outer {
                a: Some(Inner {
                    b: Some(Leaf { n: 3 })
                }),
                other: 0
            }
        );
    }

    #[test]
    fn nested_reads_typed_values_from_text_formats() {
        let de = serde_norway::Deserializer::from_str("n: 4\n");
        let outer = Outer::deserialize(Nested {
            path: "a.b",
            inner: de,
        })
        .unwrap();
        assert_eq!(outer.a.unwrap().b.unwrap().n, 4);
    }
}
