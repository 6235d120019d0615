//! The field traits of every [`Kinded`] type, each one blanket impl that hands the
//! work to the type's kind ([`SingularRules`], [`OptionalRules`]).

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};
use serde::de::MapAccess;
use serde::ser::SerializeStruct;
use serde::{Deserializer, Serializer};

use super::{Kinded, OptionalRules, SingularRules};
use crate::descriptor::{FieldKind, FieldType};
use crate::message::{FieldError, FieldOptional, FieldTarget};
use crate::proto::json::{JsonField, JsonOptional};
use crate::proto::{ProtoElem, ProtoField, ProtoOptional};

impl<T> ProtoElem for T
where
    T: Kinded + Default + PartialEq,
    T::Kind: SingularRules<T>,
{
    const TYPE: FieldType = <T::Kind as SingularRules<T>>::TYPE;
    fn encode_one(tag: u32, value: &Self, buf: &mut impl BufMut) {
        T::Kind::encode_one(tag, value, buf)
    }
    fn encoded_len_one(tag: u32, value: &Self) -> usize {
        T::Kind::encoded_len_one(tag, value)
    }
    fn merge_one(
        wire_type: WireType,
        value: &mut Self,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::Kind::merge_one(wire_type, value, buf, ctx)
    }
    fn encode_repeated(tag: u32, values: &[Self], buf: &mut impl BufMut) {
        T::Kind::encode_repeated(tag, values, buf)
    }
    fn encoded_len_repeated(tag: u32, values: &[Self]) -> usize {
        T::Kind::encoded_len_repeated(tag, values)
    }
    fn merge_repeated(
        wire_type: WireType,
        values: &mut Vec<Self>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::Kind::merge_repeated(wire_type, values, buf, ctx)
    }
}

impl<T> ProtoField for T
where
    T: Kinded + Default,
    T::Kind: SingularRules<T>,
{
    const KIND: FieldKind = FieldKind::Singular(<T::Kind as SingularRules<T>>::TYPE);
    fn encode(&self, tag: u32, buf: &mut impl BufMut) {
        T::Kind::encode(self, tag, buf)
    }
    fn encoded_len(&self, tag: u32) -> usize {
        T::Kind::encoded_len(self, tag)
    }
    fn merge(
        &mut self,
        _tag: u32,
        _number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::Kind::merge_one(wire_type, self, buf, ctx)
    }
}

impl<T> JsonField for T
where
    T: Kinded,
    T::Kind: SingularRules<T>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        T::Kind::serialize(self, serializer)
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::Kind::deserialize(deserializer)
    }
}

impl<T> ProtoOptional for T
where
    T: Kinded,
    T::Kind: OptionalRules<T>,
{
    const SPAN: u32 = <T::Kind as OptionalRules<T>>::SPAN;
    const KIND: FieldKind = <T::Kind as OptionalRules<T>>::KIND;
    fn encode_some(&self, tag: u32, buf: &mut impl BufMut) {
        T::Kind::encode_some(self, tag, buf)
    }
    fn encoded_len_some(&self, tag: u32) -> usize {
        T::Kind::encoded_len_some(self, tag)
    }
    fn owns(tag: u32, number: u32) -> bool {
        T::Kind::owns(tag, number)
    }
    fn merge_option(
        slot: &mut Option<Self>,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::Kind::merge_option(slot, tag, number, wire_type, buf, ctx)
    }
}

impl<T> JsonOptional for T
where
    T: Kinded,
    T::Kind: OptionalRules<T>,
{
    fn serialize_some<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        T::Kind::serialize_some(self, serializer)
    }
    fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::Kind::deserialize_some(deserializer)
    }
    fn serialize_option_entry<S: SerializeStruct>(
        this: &Option<Self>,
        out: &mut S,
        name: &'static str,
        declared: bool,
    ) -> Result<(), S::Error> {
        T::Kind::serialize_option_entry(this, out, name, declared)
    }
    fn variant(key: &str) -> Option<u32> {
        T::Kind::variant(key)
    }
    fn merge_variant<'de, A: MapAccess<'de>>(
        this: &mut Option<Self>,
        variant: u32,
        map: &mut A,
    ) -> Result<(), A::Error> {
        T::Kind::merge_variant(this, variant, map)
    }
}

impl<T> FieldOptional for T
where
    T: Kinded,
    T::Kind: OptionalRules<T>,
{
    fn set_some(slot: &mut Option<Self>, path: &[&str], text: &str) -> Result<(), FieldError> {
        T::Kind::set_some(slot, path, text)
    }
    fn set_variant(
        slot: &mut Option<Self>,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>> {
        T::Kind::set_variant(slot, key, rest, text)
    }
}

impl<T> FieldTarget for T
where
    T: Kinded,
    T::Kind: OptionalRules<T>,
{
    type Target = <T::Kind as OptionalRules<T>>::Target;
}
