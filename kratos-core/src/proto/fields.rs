//! A message's fields as one generic walk: `#[kratos::message]` writes only
//! [`Fields::each`] (every field in order) and [`Fields::at`] (one field by index),
//! and the message's protobuf, serde and text-binding impls are the generic
//! functions here, driven by its descriptor's names and numbers.
//!
//! Each field's own rules come from its type ([`super::ProtoField`],
//! [`super::json::JsonField`], [`FieldValue`]), so the walk is the same for
//! every message and is monomorphised per message and field type: no dynamic
//! dispatch on the hot path.

use std::fmt;
use std::marker::PhantomData;

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType, skip_field};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserializer, Serializer};

use super::ProtoField;
use super::json::{
    De, JsonField, declared_names, duplicate_field, enter_message, expecting, oneof_already_set,
};
use crate::descriptor::{FieldDescriptor, FieldKind};
use crate::message::{FieldError, FieldValue, Message};

/// Everything a field's type is: protobuf, JSON and text rules.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no protobuf mapping",
    label = "not a protobuf field type",
    note = "a field is a scalar (String, bool, i32, i64, u32, u64, f32, f64, Vec<u8>), a `#[kratos::message]` struct or enum, a Timestamp or Duration, or Vec/Option/HashMap of those: put `#[kratos::message]` on the type or pick one of these"
)]
pub trait Field: ProtoField + JsonField + FieldValue {}

impl<T: ProtoField + JsonField + FieldValue> Field for T {}

/// Something done to each field of a message in turn (encoding, sizing, writing JSON).
pub trait Visit {
    /// Why the walk stopped.
    type Error;
    /// Visits field `index` (into the message descriptor's fields).
    fn field<F: Field>(&mut self, index: usize, value: &F) -> Result<(), Self::Error>;
}

/// Something done to one field of a message (decoding it, setting it from text).
pub trait VisitMut {
    /// What it gives back.
    type Output;
    /// Works on the field.
    fn field<F: Field>(self, value: &mut F) -> Self::Output;
}

/// The fields of a `#[kratos::message]` struct, written by the macro.
pub trait Fields: Message {
    /// Whether its JSON uses declared (snake_case) names (`declared_names` on the message).
    const DECLARED: bool = false;
    /// The JSON names of its fields, as serde's `deserialize_struct` wants them (the
    /// XML codec tells a field's elements from a list's by them).
    const KEYS: &'static [&'static str];
    /// Calls `visit.field` on every field, in declaration order.
    fn each<V: Visit>(&self, visit: &mut V) -> Result<(), V::Error>;
    /// Calls `visit.field` on field `index` (an index into the descriptor's fields).
    fn at<V: VisitMut>(&mut self, index: usize, visit: V) -> V::Output;
}

fn is_oneof(field: &FieldDescriptor) -> bool {
    matches!(field.kind, FieldKind::Oneof(_))
}

/// The field at `index` of `M` described.
fn described<M: Message>(index: usize) -> &'static FieldDescriptor {
    &M::DESCRIPTOR.fields[index]
}

struct Encode<'b, B> {
    fields: &'static [FieldDescriptor],
    buf: &'b mut B,
}

impl<B: BufMut> Visit for Encode<'_, B> {
    type Error = std::convert::Infallible;
    fn field<F: Field>(&mut self, index: usize, value: &F) -> Result<(), Self::Error> {
        value.encode(self.fields[index].number, self.buf);
        Ok(())
    }
}

/// `prost::Message::encode_raw` of a message.
pub fn encode_raw<M: Fields>(message: &M, buf: &mut impl BufMut) {
    let fields = M::DESCRIPTOR.fields;
    let Ok(()) = message.each(&mut Encode { fields, buf });
}

struct Len {
    fields: &'static [FieldDescriptor],
    len: usize,
}

impl Visit for Len {
    type Error = std::convert::Infallible;
    fn field<F: Field>(&mut self, index: usize, value: &F) -> Result<(), Self::Error> {
        self.len += value.encoded_len(self.fields[index].number);
        Ok(())
    }
}

/// `prost::Message::encoded_len` of a message.
pub fn encoded_len<M: Fields>(message: &M) -> usize {
    let mut len = Len {
        fields: M::DESCRIPTOR.fields,
        len: 0,
    };
    let Ok(()) = message.each(&mut len);
    len.len
}

struct Merge<'b, B> {
    tag: u32,
    number: u32,
    wire_type: WireType,
    buf: &'b mut B,
    ctx: DecodeContext,
}

impl<B: Buf> VisitMut for Merge<'_, B> {
    type Output = Result<(), DecodeError>;
    fn field<F: Field>(self, value: &mut F) -> Self::Output {
        value.merge(self.tag, self.number, self.wire_type, self.buf, self.ctx)
    }
}

struct Owns {
    tag: u32,
    number: u32,
}

impl VisitMut for Owns {
    type Output = bool;
    fn field<F: Field>(self, _: &mut F) -> bool {
        F::owns(self.tag, self.number)
    }
}

/// `prost::Message::merge_field` of a message: the field numbered `number`, a
/// oneof alternative in a oneof's range, or skipped.
pub fn merge_field<M: Fields>(
    message: &mut M,
    number: u32,
    wire_type: WireType,
    buf: &mut impl Buf,
    ctx: DecodeContext,
) -> Result<(), DecodeError> {
    let fields = M::DESCRIPTOR.fields;
    let found = fields
        .iter()
        .position(|f| f.number == number && !is_oneof(f))
        .or_else(|| {
            fields.iter().enumerate().position(|(i, f)| {
                is_oneof(f)
                    && message.at(
                        i,
                        Owns {
                            tag: f.number,
                            number,
                        },
                    )
            })
        });
    let Some(index) = found else {
        return skip_field(wire_type, number, buf, ctx);
    };
    let field = described::<M>(index);
    let merge = Merge {
        tag: field.number,
        number,
        wire_type,
        buf,
        ctx,
    };
    message.at(index, merge).map_err(|mut e| {
        e.push(M::DESCRIPTOR.name, field.name);
        e
    })
}

struct Entries<'o, S> {
    fields: &'static [FieldDescriptor],
    out: &'o mut S,
    declared: bool,
}

impl<S: SerializeStruct> Visit for Entries<'_, S> {
    type Error = S::Error;
    fn field<F: Field>(&mut self, index: usize, value: &F) -> Result<(), S::Error> {
        let field = &self.fields[index];
        let name = if self.declared {
            field.name
        } else {
            field.json_name
        };
        value.serialize_entry(self.out, name, self.declared)
    }
}

/// `serde::Serialize` of a message: an object of its fields (lowerCamel names
/// unless declared names are asked for).
pub fn serialize<M: Fields, S: Serializer>(message: &M, serializer: S) -> Result<S::Ok, S::Error> {
    let descriptor = M::DESCRIPTOR;
    let mut out = serializer.serialize_struct(descriptor.name, descriptor.fields.len())?;
    let mut entries = Entries {
        fields: descriptor.fields,
        out: &mut out,
        declared: declared_names(M::DECLARED),
    };
    message.each(&mut entries)?;
    out.end()
}

/// Which fields a JSON object has set so far: a field named twice, or a second
/// alternative of a oneof, is an error as in protojson, not a silent overwrite.
struct Seen {
    small: u64,
    large: Vec<bool>,
}

impl Seen {
    fn new(count: usize) -> Self {
        Self {
            small: 0,
            large: if count > 64 {
                vec![false; count]
            } else {
                Vec::new()
            },
        }
    }

    /// Marks field `index`; whether it was marked before.
    fn mark(&mut self, index: usize) -> bool {
        if self.large.is_empty() {
            let bit = 1u64 << index;
            let before = self.small & bit != 0;
            self.small |= bit;
            before
        } else {
            std::mem::replace(&mut self.large[index], true)
        }
    }
}

struct ReadValue<'m, 'de, A>(&'m mut A, PhantomData<&'de ()>);

impl<'de, A: MapAccess<'de>> VisitMut for ReadValue<'_, 'de, A> {
    type Output = Result<(), A::Error>;
    fn field<F: Field>(self, value: &mut F) -> Self::Output {
        *value = self.0.next_value::<De<F>>()?.0;
        Ok(())
    }
}

struct ReadVariant<'m, 'de, A> {
    map: &'m mut A,
    variant: u32,
    de: PhantomData<&'de ()>,
}

impl<'de, A: MapAccess<'de>> VisitMut for ReadVariant<'_, 'de, A> {
    type Output = Result<(), A::Error>;
    fn field<F: Field>(self, value: &mut F) -> Self::Output {
        value.merge_variant(self.variant, self.map)
    }
}

struct VariantOf<'k>(&'k str);

impl VisitMut for VariantOf<'_> {
    type Output = Option<u32>;
    fn field<F: Field>(self, _: &mut F) -> Option<u32> {
        F::variant(self.0)
    }
}

/// What a key of a message's JSON object names.
enum Key {
    Field(usize),
    Variant(usize, u32),
    Unknown,
}

fn key_of<M: Fields>(message: &mut M, key: &str) -> Key {
    let fields = M::DESCRIPTOR.fields;
    if let Some(index) = fields
        .iter()
        .position(|f| !is_oneof(f) && (f.json_name == key || f.name == key))
    {
        return Key::Field(index);
    }
    for (index, field) in fields.iter().enumerate() {
        if is_oneof(field)
            && let Some(variant) = message.at(index, VariantOf(key))
        {
            return Key::Variant(index, variant);
        }
    }
    Key::Unknown
}

/// Reads a key of a message's JSON object without allocating and resolves it.
struct KeySeed<'m, M>(&'m mut M);

impl<'de, M: Fields> DeserializeSeed<'de> for KeySeed<'_, M> {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<M: Fields> Visitor<'_> for KeySeed<'_, M> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(key_of(self.0, v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
        Ok(std::str::from_utf8(v).map_or(Key::Unknown, |v| key_of(self.0, v)))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Key, E> {
        Ok(Key::Unknown)
    }
}

struct MessageVisitor<M>(PhantomData<fn() -> M>);

impl<'de, M: Fields> Visitor<'de> for MessageVisitor<M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&expecting(M::DESCRIPTOR.name), f)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
        let mut out = M::default();
        let mut seen = Seen::new(M::DESCRIPTOR.fields.len());
        while let Some(key) = map.next_key_seed(KeySeed(&mut out))? {
            match key {
                Key::Field(index) => {
                    if seen.mark(index) {
                        return Err(duplicate_field(described::<M>(index).name));
                    }
                    out.at(index, ReadValue(&mut map, PhantomData))?;
                }
                Key::Variant(index, variant) => {
                    if seen.mark(index) {
                        return Err(oneof_already_set(described::<M>(index).name));
                    }
                    out.at(
                        index,
                        ReadVariant {
                            map: &mut map,
                            variant,
                            de: PhantomData,
                        },
                    )?;
                }
                Key::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// `serde::Deserialize` of a message: either name of each field, unknown keys skipped.
pub fn deserialize<'de, M: Fields, D: Deserializer<'de>>(deserializer: D) -> Result<M, D::Error> {
    // Held while this message and everything inside it decode.
    let _level = enter_message::<D::Error>()?;
    deserializer.deserialize_struct(
        M::DESCRIPTOR.name,
        M::KEYS,
        MessageVisitor::<M>(PhantomData),
    )
}

struct SetText<'a> {
    rest: &'a [&'a str],
    text: &'a str,
}

impl VisitMut for SetText<'_> {
    type Output = Result<(), FieldError>;
    fn field<F: Field>(self, value: &mut F) -> Self::Output {
        value.set_text(self.rest, self.text)
    }
}

struct SetVariant<'a> {
    key: &'a str,
    rest: &'a [&'a str],
    text: &'a str,
}

impl VisitMut for SetVariant<'_> {
    type Output = Option<Result<(), FieldError>>;
    fn field<F: Field>(self, value: &mut F) -> Self::Output {
        value.set_variant(self.key, self.rest, self.text)
    }
}

/// `FieldValue::set_text` of a message: the field a dotted path names, set from text.
pub fn set_text<M: Fields>(message: &mut M, path: &[&str], text: &str) -> Result<(), FieldError> {
    let Some((first, rest)) = path.split_first() else {
        return Err(FieldError::Invalid {
            field: String::new(),
            reason: "a message is set field by field: name a field, like `a.b`".to_owned(),
        });
    };
    let fields = M::DESCRIPTOR.fields;
    if let Some(index) = fields
        .iter()
        .position(|f| !is_oneof(f) && (f.name == *first || f.json_name == *first))
    {
        return message
            .at(index, SetText { rest, text })
            .map_err(|e| e.within(fields[index].name));
    }
    for (index, field) in fields.iter().enumerate() {
        if is_oneof(field)
            && let Some(result) = message.at(
                index,
                SetVariant {
                    key: first,
                    rest,
                    text,
                },
            )
        {
            return result;
        }
    }
    Err(FieldError::Unknown(path.join(".")))
}
