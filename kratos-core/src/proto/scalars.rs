//! [`ProtoField`], [`ProtoElem`] and [`ProtoOptional`] for the scalar types:
//! numbers, bool, `String` and `Vec<u8>` (bytes), each through prost's own
//! encoder for its protobuf type.

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};

use super::{ProtoElem, ProtoField, ProtoMapKey, ProtoOptional};
use crate::descriptor::{FieldKind, FieldType};

macro_rules! scalar {
    ($ty:ty, $module:ident, $field_type:ident, packed: $packed:tt) => {
        impl ProtoElem for $ty {
            const TYPE: FieldType = FieldType::$field_type;
            fn encode_one(tag: u32, value: &Self, buf: &mut impl BufMut) {
                encoding::$module::encode(tag, value, buf)
            }
            fn encoded_len_one(tag: u32, value: &Self) -> usize {
                encoding::$module::encoded_len(tag, value)
            }
            fn merge_one(
                wire_type: WireType,
                value: &mut Self,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                encoding::$module::merge(wire_type, value, buf, ctx)
            }
            fn encode_repeated(tag: u32, values: &[Self], buf: &mut impl BufMut) {
                scalar!(@encode_repeated $packed, $module, tag, values, buf)
            }
            fn encoded_len_repeated(tag: u32, values: &[Self]) -> usize {
                scalar!(@len_repeated $packed, $module, tag, values)
            }
            fn merge_repeated(
                wire_type: WireType,
                values: &mut Vec<Self>,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                encoding::$module::merge_repeated(wire_type, values, buf, ctx)
            }
        }

        impl ProtoField for $ty {
            const KIND: FieldKind = FieldKind::Singular(FieldType::$field_type);
            fn encode(&self, tag: u32, buf: &mut impl BufMut) {
                if *self != <$ty>::default() {
                    encoding::$module::encode(tag, self, buf)
                }
            }
            fn encoded_len(&self, tag: u32) -> usize {
                if *self != <$ty>::default() {
                    encoding::$module::encoded_len(tag, self)
                } else {
                    0
                }
            }
            fn merge(
                &mut self,
                _tag: u32,
                _number: u32,
                wire_type: WireType,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                encoding::$module::merge(wire_type, self, buf, ctx)
            }
        }

        impl ProtoOptional for $ty {
            const KIND: FieldKind = FieldKind::Optional(FieldType::$field_type);
            fn encode_some(&self, tag: u32, buf: &mut impl BufMut) {
                encoding::$module::encode(tag, self, buf)
            }
            fn encoded_len_some(&self, tag: u32) -> usize {
                encoding::$module::encoded_len(tag, self)
            }
            fn merge_option(
                slot: &mut Option<Self>,
                _tag: u32,
                _number: u32,
                wire_type: WireType,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                encoding::$module::merge(wire_type, slot.get_or_insert_with(Default::default), buf, ctx)
            }
        }
    };
    (@encode_repeated true, $module:ident, $tag:ident, $values:ident, $buf:ident) => {
        encoding::$module::encode_packed($tag, $values, $buf)
    };
    (@encode_repeated false, $module:ident, $tag:ident, $values:ident, $buf:ident) => {
        encoding::$module::encode_repeated($tag, $values, $buf)
    };
    (@len_repeated true, $module:ident, $tag:ident, $values:ident) => {
        encoding::$module::encoded_len_packed($tag, $values)
    };
    (@len_repeated false, $module:ident, $tag:ident, $values:ident) => {
        encoding::$module::encoded_len_repeated($tag, $values)
    };
}

scalar!(i32, int32, Int32, packed: true);
scalar!(i64, int64, Int64, packed: true);
scalar!(u32, uint32, Uint32, packed: true);
scalar!(u64, uint64, Uint64, packed: true);
scalar!(f32, float, Float, packed: true);
scalar!(f64, double, Double, packed: true);
scalar!(bool, bool, Bool, packed: true);
scalar!(String, string, String, packed: false);
scalar!(Vec<u8>, bytes, Bytes, packed: false);

impl ProtoMapKey for i32 {}
impl ProtoMapKey for i64 {}
impl ProtoMapKey for u32 {}
impl ProtoMapKey for u64 {}
impl ProtoMapKey for bool {}
impl ProtoMapKey for String {}
