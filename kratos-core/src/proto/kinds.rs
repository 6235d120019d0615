//! The traits a message, an enum and a oneof implement, and the `macro_rules`
//! that `#[kratos::message]` invokes to give each kind its [`ProtoField`],
//! JSON and text-binding impls. The proc macro writes only what depends on the
//! item's own fields; everything else is written once here.
//!
//! [`ProtoField`]: super::ProtoField

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};
use serde::de::MapAccess;
use serde::ser::SerializeStruct;

use crate::descriptor::{EnumDescriptor, OneofDescriptor};
use crate::message::FieldError;

/// A fieldless enum as a proto enum: numbers and `{ENUM}_{VARIANT}` names.
pub trait ProtoEnum: Copy + Default + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The value's number.
    fn number(self) -> i32;
    /// The value with this number; an unknown number reads as the default (first) value.
    fn from_number(number: i32) -> Option<Self>;
    /// The value's proto and JSON name.
    fn name(self) -> &'static str;
    /// The value with this name: the proto name or the Rust variant name.
    fn from_name(name: &str) -> Option<Self>;
    /// The enum's description.
    fn descriptor() -> &'static EnumDescriptor;

    /// Reads a value from its name or its number as text.
    fn from_text(text: &str) -> Result<Self, String> {
        Self::from_name(text)
            .or_else(|| text.parse::<i32>().ok().and_then(Self::from_number))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::descriptor().values.iter().map(|v| v.name).collect();
                format!("{text:?} is not one of {}", names.join(", "))
            })
    }
}

/// An enum with data as a protobuf `oneof`: one alternative per variant, numbered
/// from the number of the field that holds it.
pub trait Oneof: Clone + PartialEq + std::fmt::Debug + Send + Sync + Sized + 'static {
    /// The number of alternatives.
    const SPAN: u32;
    /// The oneof's description.
    fn descriptor() -> &'static OneofDescriptor;
    /// Writes the alternative held, at `first` + its index.
    fn encode(&self, first: u32, buf: &mut impl BufMut);
    /// The bytes [`Oneof::encode`] writes.
    fn encoded_len(&self, first: u32) -> usize;
    /// Reads alternative `index` into the slot (merging a message alternative already held).
    fn merge(
        slot: &mut Option<Self>,
        index: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
    /// The alternative a JSON key names (declared or lowerCamel name).
    fn variant(key: &str) -> Option<u32>;
    /// Writes the alternative held as one entry of the enclosing message.
    fn serialize_into<S: SerializeStruct>(
        &self,
        out: &mut S,
        declared: bool,
    ) -> Result<(), S::Error>;
    /// Reads alternative `index` from the map's next value.
    fn deserialize_variant<'de, A: MapAccess<'de>>(
        index: u32,
        map: &mut A,
    ) -> Result<Self, A::Error>;
    /// Sets an alternative from a query or path parameter, if `key` names one.
    fn set_text(
        slot: &mut Option<Self>,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>>;
}

/// How a message type (one of ours, or a well-known type with its own prost impl)
/// sits in a field, an `Option`, a list and a map on the wire; `$descriptor` is
/// its `fn() -> &'static MessageDescriptor`.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_message_wire {
    ($ty:ty, $descriptor:expr) => {
        impl $crate::proto::ProtoElem for $ty {
            const TYPE: $crate::descriptor::FieldType =
                $crate::descriptor::FieldType::Message($descriptor);
            fn encode_one(tag: u32, value: &Self, buf: &mut impl $crate::__prost::bytes::BufMut) {
                $crate::__prost::encoding::message::encode(tag, value, buf)
            }
            fn encoded_len_one(tag: u32, value: &Self) -> usize {
                $crate::__prost::encoding::message::encoded_len(tag, value)
            }
            fn merge_one(
                wire_type: $crate::__prost::encoding::WireType,
                value: &mut Self,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                $crate::__prost::encoding::message::merge(wire_type, value, buf, ctx)
            }
            fn encode_repeated(
                tag: u32,
                values: &[Self],
                buf: &mut impl $crate::__prost::bytes::BufMut,
            ) {
                $crate::__prost::encoding::message::encode_repeated(tag, values, buf)
            }
            fn encoded_len_repeated(tag: u32, values: &[Self]) -> usize {
                $crate::__prost::encoding::message::encoded_len_repeated(tag, values)
            }
            fn merge_repeated(
                wire_type: $crate::__prost::encoding::WireType,
                values: &mut ::std::vec::Vec<Self>,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                $crate::__prost::encoding::message::merge_repeated(wire_type, values, buf, ctx)
            }
        }

        impl $crate::proto::ProtoField for $ty {
            const KIND: $crate::descriptor::FieldKind =
                $crate::descriptor::FieldKind::Singular(<$ty as $crate::proto::ProtoElem>::TYPE);
            fn encode(&self, tag: u32, buf: &mut impl $crate::__prost::bytes::BufMut) {
                $crate::__prost::encoding::message::encode(tag, self, buf)
            }
            fn encoded_len(&self, tag: u32) -> usize {
                $crate::__prost::encoding::message::encoded_len(tag, self)
            }
            fn merge(
                &mut self,
                _tag: u32,
                _number: u32,
                wire_type: $crate::__prost::encoding::WireType,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                $crate::__prost::encoding::message::merge(wire_type, self, buf, ctx)
            }
        }

        impl $crate::proto::ProtoOptional for $ty {
            const KIND: $crate::descriptor::FieldKind =
                $crate::descriptor::FieldKind::Singular(<$ty as $crate::proto::ProtoElem>::TYPE);
            fn encode_some(&self, tag: u32, buf: &mut impl $crate::__prost::bytes::BufMut) {
                $crate::__prost::encoding::message::encode(tag, self, buf)
            }
            fn encoded_len_some(&self, tag: u32) -> usize {
                $crate::__prost::encoding::message::encoded_len(tag, self)
            }
            fn merge_option(
                slot: &mut ::core::option::Option<Self>,
                _tag: u32,
                _number: u32,
                wire_type: $crate::__prost::encoding::WireType,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                let value = slot.get_or_insert_with(::core::default::Default::default);
                $crate::__prost::encoding::message::merge(wire_type, value, buf, ctx)
            }
        }
    };
}

/// What a type that is set in place from text needs to sit in an `Option` field
/// and be named by a route path (`FieldOptional`, `FieldTarget`).
#[doc(hidden)]
#[macro_export]
macro_rules! impl_field_value_slot {
    ($ty:ty) => {
        impl $crate::message::FieldOptional for $ty {
            fn set_some(
                slot: &mut ::core::option::Option<Self>,
                path: &[&str],
                text: &str,
            ) -> ::core::result::Result<(), $crate::message::FieldError> {
                $crate::message::fill(slot, path, text)
            }
        }

        impl $crate::message::FieldTarget for $ty {
            type Target = $ty;
        }
    };
}

/// The impls every message type gets beside its own `prost::Message`, serde and
/// `FieldValue`: how it sits in a field, an `Option`, a list and a map.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_message {
    ($ty:ty) => {
        $crate::impl_message_wire!($ty, <$ty as $crate::message::Message>::descriptor);

        impl $crate::proto::json::JsonField for $ty {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                $crate::__serde::Serialize::serialize(self, serializer)
            }
            fn deserialize<'de, D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::proto::json::message_or_default(deserializer)
            }
        }

        impl $crate::proto::json::JsonOptional for $ty {
            fn serialize_some<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                $crate::__serde::Serialize::serialize(self, serializer)
            }
            fn deserialize_some<'de, D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                <$ty as $crate::__serde::Deserialize<'de>>::deserialize(deserializer)
            }
        }

        $crate::impl_field_value_slot!($ty);
    };
}

/// The impls of a fieldless enum: on the wire an `int32`, in JSON its name.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_enum {
    ($ty:ty) => {
        impl $crate::proto::ProtoElem for $ty {
            const TYPE: $crate::descriptor::FieldType = $crate::proto::enum_type::<$ty>();
            fn encode_one(tag: u32, value: &Self, buf: &mut impl $crate::__prost::bytes::BufMut) {
                $crate::proto::enums::encode_one(tag, *value, buf)
            }
            fn encoded_len_one(tag: u32, value: &Self) -> usize {
                $crate::proto::enums::encoded_len_one(tag, *value)
            }
            fn merge_one(
                wire_type: $crate::__prost::encoding::WireType,
                value: &mut Self,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                $crate::proto::enums::merge_one(wire_type, value, buf, ctx)
            }
            fn encode_repeated(
                tag: u32,
                values: &[Self],
                buf: &mut impl $crate::__prost::bytes::BufMut,
            ) {
                $crate::proto::enums::encode_packed(tag, values, buf)
            }
            fn encoded_len_repeated(tag: u32, values: &[Self]) -> usize {
                $crate::proto::enums::encoded_len_packed(tag, values)
            }
            fn merge_repeated(
                wire_type: $crate::__prost::encoding::WireType,
                values: &mut ::std::vec::Vec<Self>,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                $crate::proto::enums::merge_repeated(wire_type, values, buf, ctx)
            }
        }

        impl $crate::proto::ProtoField for $ty {
            const KIND: $crate::descriptor::FieldKind =
                $crate::descriptor::FieldKind::Singular($crate::proto::enum_type::<$ty>());
            fn encode(&self, tag: u32, buf: &mut impl $crate::__prost::bytes::BufMut) {
                if $crate::proto::ProtoEnum::number(*self) != 0 {
                    $crate::proto::enums::encode_one(tag, *self, buf)
                }
            }
            fn encoded_len(&self, tag: u32) -> usize {
                if $crate::proto::ProtoEnum::number(*self) != 0 {
                    $crate::proto::enums::encoded_len_one(tag, *self)
                } else {
                    0
                }
            }
            fn merge(
                &mut self,
                _tag: u32,
                _number: u32,
                wire_type: $crate::__prost::encoding::WireType,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                $crate::proto::enums::merge_one(wire_type, self, buf, ctx)
            }
        }

        impl $crate::proto::ProtoOptional for $ty {
            const KIND: $crate::descriptor::FieldKind =
                $crate::descriptor::FieldKind::Optional($crate::proto::enum_type::<$ty>());
            fn encode_some(&self, tag: u32, buf: &mut impl $crate::__prost::bytes::BufMut) {
                $crate::proto::enums::encode_one(tag, *self, buf)
            }
            fn encoded_len_some(&self, tag: u32) -> usize {
                $crate::proto::enums::encoded_len_one(tag, *self)
            }
            fn merge_option(
                slot: &mut ::core::option::Option<Self>,
                _tag: u32,
                _number: u32,
                wire_type: $crate::__prost::encoding::WireType,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                let value = slot.get_or_insert_with(::core::default::Default::default);
                $crate::proto::enums::merge_one(wire_type, value, buf, ctx)
            }
        }

        impl $crate::proto::json::JsonField for $ty {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::proto::ProtoEnum::name(*self))
            }
            fn deserialize<'de, D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::proto::enums::deserialize(deserializer)
            }
        }

        impl $crate::proto::json::JsonOptional for $ty {
            fn serialize_some<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::proto::ProtoEnum::name(*self))
            }
            fn deserialize_some<'de, D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::proto::enums::deserialize(deserializer)
            }
        }

        impl $crate::__serde::Serialize for $ty {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::proto::ProtoEnum::name(*self))
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::proto::enums::deserialize(deserializer)
            }
        }

        impl $crate::message::FieldValue for $ty {
            fn set_text(
                &mut self,
                path: &[&str],
                text: &str,
            ) -> ::core::result::Result<(), $crate::message::FieldError> {
                $crate::proto::enums::set_text(self, path, text)
            }
        }

        $crate::impl_field_value_slot!($ty);
    };
}

/// The impls of a oneof: it lives only as `Option<Oneof>` inside a message.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_oneof {
    ($ty:ty) => {
        impl $crate::proto::ProtoOptional for $ty {
            const SPAN: u32 = <$ty as $crate::proto::Oneof>::SPAN;
            const KIND: $crate::descriptor::FieldKind = $crate::proto::oneof_kind::<$ty>();
            fn encode_some(&self, tag: u32, buf: &mut impl $crate::__prost::bytes::BufMut) {
                $crate::proto::Oneof::encode(self, tag, buf)
            }
            fn encoded_len_some(&self, tag: u32) -> usize {
                $crate::proto::Oneof::encoded_len(self, tag)
            }
            fn owns(tag: u32, number: u32) -> bool {
                number >= tag && number - tag < <$ty as $crate::proto::Oneof>::SPAN
            }
            fn merge_option(
                slot: &mut ::core::option::Option<Self>,
                tag: u32,
                number: u32,
                wire_type: $crate::__prost::encoding::WireType,
                buf: &mut impl $crate::__prost::bytes::Buf,
                ctx: $crate::__prost::encoding::DecodeContext,
            ) -> ::core::result::Result<(), $crate::__prost::DecodeError> {
                <$ty as $crate::proto::Oneof>::merge(slot, number - tag, wire_type, buf, ctx)
            }
        }

        impl $crate::proto::json::JsonOptional for $ty {
            fn serialize_some<S: $crate::__serde::Serializer>(
                &self,
                _serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                ::core::result::Result::Err($crate::proto::json::oneof_alone())
            }
            fn deserialize_some<'de, D: $crate::__serde::Deserializer<'de>>(
                _deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                ::core::result::Result::Err(<D::Error as $crate::__serde::de::Error>::custom(
                    "a oneof is read inside its message, not on its own",
                ))
            }
            fn serialize_option_entry<S: $crate::__serde::ser::SerializeStruct>(
                this: &::core::option::Option<Self>,
                out: &mut S,
                _name: &'static str,
                declared: bool,
            ) -> ::core::result::Result<(), S::Error> {
                match this {
                    ::core::option::Option::Some(value) => {
                        $crate::proto::Oneof::serialize_into(value, out, declared)
                    }
                    ::core::option::Option::None => ::core::result::Result::Ok(()),
                }
            }
            fn variant(key: &str) -> ::core::option::Option<u32> {
                <$ty as $crate::proto::Oneof>::variant(key)
            }
            fn merge_variant<'de, A: $crate::__serde::de::MapAccess<'de>>(
                this: &mut ::core::option::Option<Self>,
                variant: u32,
                map: &mut A,
            ) -> ::core::result::Result<(), A::Error> {
                *this = ::core::option::Option::Some(
                    <$ty as $crate::proto::Oneof>::deserialize_variant(variant, map)?,
                );
                ::core::result::Result::Ok(())
            }
        }

        impl $crate::message::FieldOptional for $ty {
            fn set_some(
                _slot: &mut ::core::option::Option<Self>,
                path: &[&str],
                _text: &str,
            ) -> ::core::result::Result<(), $crate::message::FieldError> {
                ::core::result::Result::Err($crate::message::FieldError::Unknown(path.join(".")))
            }
            fn set_variant(
                slot: &mut ::core::option::Option<Self>,
                key: &str,
                rest: &[&str],
                text: &str,
            ) -> ::core::option::Option<::core::result::Result<(), $crate::message::FieldError>>
            {
                <$ty as $crate::proto::Oneof>::set_text(slot, key, rest, text)
            }
        }

        impl $crate::message::FieldTarget for $ty {
            type Target = $ty;
        }
    };
}
