//! The well-known types `google.protobuf.Timestamp` and `google.protobuf.Duration`
//! (prost-types' structs, re-exported by `kratos`) as message fields: on the wire
//! the messages they are, in JSON an RFC 3339 string (`"1972-01-01T10:00:20.021Z"`)
//! and a seconds string (`"1.500s"`), as the protobuf JSON mapping says.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

pub use prost_types::{Duration, Timestamp};

use super::json::{JsonField, JsonOptional};
use crate::descriptor::{
    FieldDescriptor, FieldKind, FieldType, MessageDescriptor, message::WELL_KNOWN_PACKAGE,
};
use crate::message::{FieldError, FieldValue};

const SECONDS_AND_NANOS: &[FieldDescriptor] = &[
    FieldDescriptor {
        name: "seconds",
        json_name: "seconds",
        number: 1,
        kind: FieldKind::Singular(FieldType::Int64),
        doc: "",
    },
    FieldDescriptor {
        name: "nanos",
        json_name: "nanos",
        number: 2,
        kind: FieldKind::Singular(FieldType::Int32),
        doc: "",
    },
];

/// The descriptor of `google.protobuf.Timestamp`.
pub fn timestamp_descriptor() -> &'static MessageDescriptor {
    &MessageDescriptor {
        name: "Timestamp",
        package: Some(WELL_KNOWN_PACKAGE),
        fields: SECONDS_AND_NANOS,
        doc: "A point in time, independent of any time zone or calendar.",
    }
}

/// The descriptor of `google.protobuf.Duration`.
pub fn duration_descriptor() -> &'static MessageDescriptor {
    &MessageDescriptor {
        name: "Duration",
        package: Some(WELL_KNOWN_PACKAGE),
        fields: SECONDS_AND_NANOS,
        doc: "A signed, fixed-length span of time.",
    }
}

struct Parsed<T>(PhantomData<T>);

impl<'de, T: FromStr + Default> Visitor<'de> for Parsed<T>
where
    T::Err: fmt::Display,
{
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp or a duration like \"1.5s\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse()
            .map_err(|e| E::custom(format!("{v:?} cannot be read: {e}")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let text = super::json::text_of_map(map)?;
        if text.is_empty() {
            return Ok(T::default());
        }
        self.visit_str(&text)
    }
}

/// How a message type (one of ours, or a well-known type with its own prost impl)
/// sits in a field, an `Option`, a list and a map on the wire; `$descriptor` is
/// its `fn() -> &'static MessageDescriptor`.
macro_rules! impl_message_wire {
    ($ty:ty, $descriptor:expr) => {
        impl crate::proto::ProtoElem for $ty {
            const TYPE: crate::descriptor::FieldType =
                crate::descriptor::FieldType::Message($descriptor);
            fn encode_one(tag: u32, value: &Self, buf: &mut impl crate::__prost::bytes::BufMut) {
                crate::__prost::encoding::message::encode(tag, value, buf)
            }
            fn encoded_len_one(tag: u32, value: &Self) -> usize {
                crate::__prost::encoding::message::encoded_len(tag, value)
            }
            fn merge_one(
                wire_type: crate::__prost::encoding::WireType,
                value: &mut Self,
                buf: &mut impl crate::__prost::bytes::Buf,
                ctx: crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), crate::__prost::DecodeError> {
                crate::__prost::encoding::message::merge(wire_type, value, buf, ctx)
            }
            fn encode_repeated(
                tag: u32,
                values: &[Self],
                buf: &mut impl crate::__prost::bytes::BufMut,
            ) {
                crate::__prost::encoding::message::encode_repeated(tag, values, buf)
            }
            fn encoded_len_repeated(tag: u32, values: &[Self]) -> usize {
                crate::__prost::encoding::message::encoded_len_repeated(tag, values)
            }
            fn merge_repeated(
                wire_type: crate::__prost::encoding::WireType,
                values: &mut ::std::vec::Vec<Self>,
                buf: &mut impl crate::__prost::bytes::Buf,
                ctx: crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), crate::__prost::DecodeError> {
                crate::__prost::encoding::message::merge_repeated(wire_type, values, buf, ctx)
            }
        }

        impl crate::proto::ProtoField for $ty {
            const KIND: crate::descriptor::FieldKind =
                crate::descriptor::FieldKind::Singular(<$ty as crate::proto::ProtoElem>::TYPE);
            fn encode(&self, tag: u32, buf: &mut impl crate::__prost::bytes::BufMut) {
                crate::__prost::encoding::message::encode(tag, self, buf)
            }
            fn encoded_len(&self, tag: u32) -> usize {
                crate::__prost::encoding::message::encoded_len(tag, self)
            }
            fn merge(
                &mut self,
                _tag: u32,
                _number: u32,
                wire_type: crate::__prost::encoding::WireType,
                buf: &mut impl crate::__prost::bytes::Buf,
                ctx: crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), crate::__prost::DecodeError> {
                crate::__prost::encoding::message::merge(wire_type, self, buf, ctx)
            }
        }

        impl crate::proto::ProtoOptional for $ty {
            const KIND: crate::descriptor::FieldKind =
                crate::descriptor::FieldKind::Singular(<$ty as crate::proto::ProtoElem>::TYPE);
            fn encode_some(&self, tag: u32, buf: &mut impl crate::__prost::bytes::BufMut) {
                crate::__prost::encoding::message::encode(tag, self, buf)
            }
            fn encoded_len_some(&self, tag: u32) -> usize {
                crate::__prost::encoding::message::encoded_len(tag, self)
            }
            fn merge_option(
                slot: &mut ::core::option::Option<Self>,
                _tag: u32,
                _number: u32,
                wire_type: crate::__prost::encoding::WireType,
                buf: &mut impl crate::__prost::bytes::Buf,
                ctx: crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), crate::__prost::DecodeError> {
                let value = slot.get_or_insert_with(::core::default::Default::default);
                crate::__prost::encoding::message::merge(wire_type, value, buf, ctx)
            }
        }
    };
}

/// What a type that is set in place from text needs to sit in an `Option` field
/// and be named by a route path (`FieldOptional`, `FieldTarget`).
macro_rules! impl_field_value_slot {
    ($ty:ty) => {
        impl crate::message::FieldOptional for $ty {
            fn set_some(
                slot: &mut ::core::option::Option<Self>,
                path: &[&str],
                text: &str,
            ) -> ::core::result::Result<(), crate::message::FieldError> {
                crate::message::fill(slot, path, text)
            }
        }

        impl crate::message::FieldTarget for $ty {
            type Target = $ty;
        }
    };
}

macro_rules! well_known {
    ($ty:ty, $descriptor:ident) => {
        impl_message_wire!($ty, $descriptor);

        impl JsonField for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
            fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Parsed::<$ty>(PhantomData))
            }
        }

        impl JsonOptional for $ty {
            fn serialize_some<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
            fn deserialize_some<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Parsed::<$ty>(PhantomData))
            }
        }

        impl FieldValue for $ty {
            fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
                if !path.is_empty() {
                    return Err(FieldError::Unknown(path.join(".")));
                }
                *self = text.parse().map_err(|e| FieldError::Invalid {
                    field: String::new(),
                    reason: format!("{text:?} cannot be read: {e}"),
                })?;
                Ok(())
            }
        }

        impl_field_value_slot!($ty);
    };
}

well_known!(Timestamp, timestamp_descriptor);
well_known!(Duration, duration_descriptor);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::json::{De, Ser};

    #[test]
    fn json_forms_follow_the_protobuf_mapping() {
        let t = Timestamp {
            seconds: 63_108_020,
            nanos: 21_000_000,
        };
        assert_eq!(
            serde_json::to_string(&Ser(&t)).unwrap(),
            "\"1972-01-01T10:00:20.021Z\""
        );
        let back: De<Timestamp> = serde_json::from_str("\"1972-01-01T10:00:20.021Z\"").unwrap();
        assert_eq!(back.0, t);
        let d = Duration {
            seconds: 1,
            nanos: 500_000_000,
        };
        assert_eq!(serde_json::to_string(&Ser(&d)).unwrap(), "\"1.500s\"");
        let back: De<Duration> = serde_json::from_str("\"-0.5s\"").unwrap();
        assert_eq!(
            back.0,
            Duration {
                seconds: 0,
                nanos: -500_000_000
            }
        );
        assert!(serde_json::from_str::<De<Timestamp>>("\"yesterday\"").is_err());
    }
}
