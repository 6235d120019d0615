//! The wire, JSON and text forms of a [`ProtoEnum`], shared by every enum's
//! impls (see [`crate::impl_enum`]): an `int32` on the wire, its name in JSON.
//! A number this build does not know reads as the first (zero) value, as a
//! closed Rust enum cannot hold it; protobuf's open enums would keep it.

use std::fmt;
use std::marker::PhantomData;

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{
    self, DecodeContext, WireType, encode_key, encode_varint, encoded_len_varint, key_len,
};
use serde::de::{self, Deserializer, Visitor};

use super::ProtoEnum;
use crate::message::FieldError;

fn varint<E: ProtoEnum>(value: E) -> u64 {
    // int32 is sign-extended to 64 bits on the wire.
    value.number() as i64 as u64
}

/// Writes one value at `tag`.
pub fn encode_one<E: ProtoEnum>(tag: u32, value: E, buf: &mut impl BufMut) {
    encode_key(tag, WireType::Varint, buf);
    encode_varint(varint(value), buf);
}

/// The bytes [`encode_one`] writes.
pub fn encoded_len_one<E: ProtoEnum>(tag: u32, value: E) -> usize {
    key_len(tag) + encoded_len_varint(varint(value))
}

/// Reads one value.
pub fn merge_one<E: ProtoEnum>(
    wire_type: WireType,
    value: &mut E,
    buf: &mut impl Buf,
    ctx: DecodeContext,
) -> Result<(), DecodeError> {
    let mut number = 0i32;
    encoding::int32::merge(wire_type, &mut number, buf, ctx)?;
    *value = E::from_number(number).unwrap_or_default();
    Ok(())
}

/// Writes a packed repeated field.
pub fn encode_packed<E: ProtoEnum>(tag: u32, values: &[E], buf: &mut impl BufMut) {
    if values.is_empty() {
        return;
    }
    encode_key(tag, WireType::LengthDelimited, buf);
    let len: usize = values.iter().map(|v| encoded_len_varint(varint(*v))).sum();
    encode_varint(len as u64, buf);
    for value in values {
        encode_varint(varint(*value), buf);
    }
}

/// The bytes [`encode_packed`] writes.
pub fn encoded_len_packed<E: ProtoEnum>(tag: u32, values: &[E]) -> usize {
    if values.is_empty() {
        return 0;
    }
    let len: usize = values.iter().map(|v| encoded_len_varint(varint(*v))).sum();
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// Reads a repeated field, packed or not.
pub fn merge_repeated<E: ProtoEnum>(
    wire_type: WireType,
    values: &mut Vec<E>,
    buf: &mut impl Buf,
    ctx: DecodeContext,
) -> Result<(), DecodeError> {
    let mut numbers = Vec::new();
    encoding::int32::merge_repeated(wire_type, &mut numbers, buf, ctx)?;
    values.extend(
        numbers
            .into_iter()
            .map(|n| E::from_number(n).unwrap_or_default()),
    );
    Ok(())
}

struct EnumVisitor<E>(PhantomData<E>);

impl<'de, E: ProtoEnum> Visitor<'de> for EnumVisitor<E> {
    type Value = E;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} name or number", E::descriptor().name)
    }
    fn visit_str<Er: de::Error>(self, v: &str) -> Result<E, Er> {
        E::from_text(v).map_err(Er::custom)
    }
    fn visit_i64<Er: de::Error>(self, v: i64) -> Result<E, Er> {
        i32::try_from(v)
            .ok()
            .and_then(E::from_number)
            .ok_or_else(|| Er::custom(format!("{v} is not a {} number", E::descriptor().name)))
    }
    fn visit_u64<Er: de::Error>(self, v: u64) -> Result<E, Er> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
    fn visit_unit<Er: de::Error>(self) -> Result<E, Er> {
        Ok(E::default())
    }
    fn visit_none<Er: de::Error>(self) -> Result<E, Er> {
        Ok(E::default())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<E, A::Error> {
        let text = crate::proto::json::text_of_map(map)?;
        if text.is_empty() {
            return Ok(E::default());
        }
        self.visit_str(&text)
    }
}

/// Reads a value from its name or number; `null` reads as the default.
pub fn deserialize<'de, E: ProtoEnum, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<E, D::Error> {
    deserializer.deserialize_any(EnumVisitor(PhantomData))
}

/// Sets a value from a path or query parameter (its name or its number).
pub fn set_text<E: ProtoEnum>(value: &mut E, path: &[&str], text: &str) -> Result<(), FieldError> {
    if !path.is_empty() {
        return Err(FieldError::Unknown(path.join(".")));
    }
    *value = E::from_text(text).map_err(|reason| FieldError::Invalid {
        field: String::new(),
        reason,
    })?;
    Ok(())
}
