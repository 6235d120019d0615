//! The field impls of every `#[kratos::message]` item, written once as blanket
//! impls: an item names its kind ([`Kinded`]: message, enum or oneof) and the
//! kind's rules ([`SingularRules`], [`OptionalRules`]) say how a value of it sits
//! in a field, an `Option`, a list and a map, in protobuf, in JSON and when set
//! from text. The macro then writes only what depends on the item's own fields.
//!
//! Coherence: the blanket impls cover only [`Kinded`] types, and only this crate
//! (or the item's own crate) can make a type `Kinded`, so they never overlap the
//! impls for scalars, `Vec`, `Option` and `HashMap`. `Box<T>` is `Kinded` here
//! (its kind is [`Boxed`]) so recursive messages (`Option<Box<Node>>`) take the
//! same route.

mod blanket;

use std::marker::PhantomData;

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType, message};
use serde::de::{Error as _, MapAccess};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::json::{JsonOptional, Ser, message_or_default, oneof_alone};
use super::kinds::{Oneof, ProtoEnum};
use super::{enum_type, enums, oneof_kind};
use crate::descriptor::{FieldKind, FieldType, MessageDescriptor};
use crate::message::{FieldError, FieldValue, Message, fill};

/// Which kind of `#[kratos::message]` item a type is; the macro writes this one impl
/// and the field impls follow from the kind.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[kratos::message]` type",
    label = "used as a field type of this message",
    note = "put `#[kratos::message]` on `{Self}`, or use a scalar, a Timestamp or a Duration"
)]
pub trait Kinded: Sized + 'static {
    /// [`MessageKind`], [`EnumKind`] or [`OneofKind`].
    type Kind: 'static;
}

/// The kind of a `#[kratos::message]` struct.
pub enum MessageKind {}
/// The kind of a `#[kratos::message]` fieldless enum.
pub enum EnumKind {}
/// The kind of a `#[kratos::message]` enum with data (a protobuf `oneof`).
pub enum OneofKind {}
/// The kind of `Box<T>`: `T`'s kind `K`, behind a box.
pub struct Boxed<K>(PhantomData<K>);

impl<T: Kinded> Kinded for Box<T> {
    type Kind = Boxed<T::Kind>;
}

/// How a value of kind `Self` stands alone in a field, a list or a map value:
/// messages and enums, not oneofs.
#[diagnostic::on_unimplemented(
    message = "`{T}` cannot stand alone in a field, a list or a map",
    note = "a oneof (an enum with data) lives only as `Option<{T}>` inside a message"
)]
pub trait SingularRules<T> {
    /// Its protobuf type.
    const TYPE: FieldType;
    /// Writes a singular field (skipped when it has no presence and is default).
    fn encode(value: &T, tag: u32, buf: &mut impl BufMut);
    /// The bytes [`SingularRules::encode`] writes.
    fn encoded_len(value: &T, tag: u32) -> usize;
    /// Writes one value at `tag`, even a default one.
    fn encode_one(tag: u32, value: &T, buf: &mut impl BufMut);
    /// The bytes [`SingularRules::encode_one`] writes.
    fn encoded_len_one(tag: u32, value: &T) -> usize;
    /// Reads one value.
    fn merge_one(
        wire_type: WireType,
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
    /// Writes a repeated field.
    fn encode_repeated(tag: u32, values: &[T], buf: &mut impl BufMut);
    /// The bytes [`SingularRules::encode_repeated`] writes.
    fn encoded_len_repeated(tag: u32, values: &[T]) -> usize;
    /// Reads one occurrence of a repeated field.
    fn merge_repeated(
        wire_type: WireType,
        values: &mut Vec<T>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
    /// Writes the value in JSON.
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the value from JSON; `null` reads as the default.
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error>;
}

/// What `Option<T>` means for a value of kind `Self`: presence for a message or an
/// enum, the alternatives for a oneof.
pub trait OptionalRules<T> {
    /// Field numbers `Option<T>` takes.
    const SPAN: u32 = 1;
    /// The kind of `Option<T>`.
    const KIND: FieldKind;
    /// The type a nested route path continues into.
    type Target: ?Sized;
    /// Writes a present value.
    fn encode_some(value: &T, tag: u32, buf: &mut impl BufMut);
    /// The bytes [`OptionalRules::encode_some`] writes.
    fn encoded_len_some(value: &T, tag: u32) -> usize;
    /// Whether field `number` belongs to `Option<T>` declared at `tag`.
    fn owns(tag: u32, number: u32) -> bool {
        tag == number
    }
    /// Reads one occurrence into the slot.
    fn merge_option(
        slot: &mut Option<T>,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
    /// Writes a present value in JSON.
    fn serialize_some<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads a present value from JSON.
    fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error>;
    /// Writes `Option<T>` as an entry of its message.
    fn serialize_option_entry<S: SerializeStruct>(
        this: &Option<T>,
        out: &mut S,
        name: &'static str,
        declared: bool,
    ) -> Result<(), S::Error>
    where
        T: JsonOptional,
    {
        let _ = declared;
        out.serialize_field(name, &Ser(this))
    }
    /// The alternative a JSON key names (oneofs only).
    fn variant(key: &str) -> Option<u32> {
        let _ = key;
        None
    }
    /// Reads alternative `variant` (oneofs only).
    fn merge_variant<'de, A: MapAccess<'de>>(
        this: &mut Option<T>,
        variant: u32,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let _ = (this, variant, map);
        Err(A::Error::custom("not a oneof field"))
    }
    /// Sets the value at `path` from text, creating it first if unset.
    fn set_some(slot: &mut Option<T>, path: &[&str], text: &str) -> Result<(), FieldError>;
    /// Sets the alternative `key` names (oneofs only).
    fn set_variant(
        slot: &mut Option<T>,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>> {
        let _ = (slot, key, rest, text);
        None
    }
}

/// A message as a field's value, all that [`MessageKind`]'s rules ask of it: one of
/// ours (every [`Message`]), or a well-known type with its own JSON form
/// (`Timestamp`, `Duration`: [`super::wkt`]).
pub trait MessageWire: prost::Message + Default + PartialEq + FieldValue + 'static {
    /// Its descriptor, for the field's type.
    fn wire_descriptor() -> &'static MessageDescriptor;
    /// Writes it in JSON.
    fn to_json<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads it from JSON as a field's value: `null` reads as the default.
    fn from_json_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// Reads a present value (the inside of an `Option`).
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl<T: Message + PartialEq> MessageWire for T {
    fn wire_descriptor() -> &'static MessageDescriptor {
        T::DESCRIPTOR
    }
    fn to_json<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Serialize::serialize(self, serializer)
    }
    fn from_json_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        message_or_default(deserializer)
    }
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <T as Deserialize>::deserialize(deserializer)
    }
}

impl<T: MessageWire> SingularRules<T> for MessageKind {
    const TYPE: FieldType = FieldType::Message(T::wire_descriptor);
    fn encode(value: &T, tag: u32, buf: &mut impl BufMut) {
        message::encode(tag, value, buf)
    }
    fn encoded_len(value: &T, tag: u32) -> usize {
        message::encoded_len(tag, value)
    }
    fn encode_one(tag: u32, value: &T, buf: &mut impl BufMut) {
        message::encode(tag, value, buf)
    }
    fn encoded_len_one(tag: u32, value: &T) -> usize {
        message::encoded_len(tag, value)
    }
    fn merge_one(
        wire_type: WireType,
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        message::merge(wire_type, value, buf, ctx)
    }
    fn encode_repeated(tag: u32, values: &[T], buf: &mut impl BufMut) {
        message::encode_repeated(tag, values, buf)
    }
    fn encoded_len_repeated(tag: u32, values: &[T]) -> usize {
        message::encoded_len_repeated(tag, values)
    }
    fn merge_repeated(
        wire_type: WireType,
        values: &mut Vec<T>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        message::merge_repeated(wire_type, values, buf, ctx)
    }
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        value.to_json(serializer)
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        T::from_json_field(deserializer)
    }
}

impl<T: MessageWire> OptionalRules<T> for MessageKind {
    const KIND: FieldKind = FieldKind::Singular(FieldType::Message(T::wire_descriptor));
    type Target = T;
    fn encode_some(value: &T, tag: u32, buf: &mut impl BufMut) {
        message::encode(tag, value, buf)
    }
    fn encoded_len_some(value: &T, tag: u32) -> usize {
        message::encoded_len(tag, value)
    }
    fn merge_option(
        slot: &mut Option<T>,
        _tag: u32,
        _number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        message::merge(wire_type, slot.get_or_insert_default(), buf, ctx)
    }
    fn serialize_some<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        value.to_json(serializer)
    }
    fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        T::from_json(deserializer)
    }
    fn set_some(slot: &mut Option<T>, path: &[&str], text: &str) -> Result<(), FieldError> {
        fill(slot, path, text)
    }
}

impl<T: ProtoEnum> SingularRules<T> for EnumKind {
    const TYPE: FieldType = enum_type::<T>();
    fn encode(value: &T, tag: u32, buf: &mut impl BufMut) {
        if value.number() != 0 {
            enums::encode_one(tag, *value, buf)
        }
    }
    fn encoded_len(value: &T, tag: u32) -> usize {
        if value.number() != 0 {
            enums::encoded_len_one(tag, *value)
        } else {
            0
        }
    }
    fn encode_one(tag: u32, value: &T, buf: &mut impl BufMut) {
        enums::encode_one(tag, *value, buf)
    }
    fn encoded_len_one(tag: u32, value: &T) -> usize {
        enums::encoded_len_one(tag, *value)
    }
    fn merge_one(
        wire_type: WireType,
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        enums::merge_one(wire_type, value, buf, ctx)
    }
    fn encode_repeated(tag: u32, values: &[T], buf: &mut impl BufMut) {
        enums::encode_packed(tag, values, buf)
    }
    fn encoded_len_repeated(tag: u32, values: &[T]) -> usize {
        enums::encoded_len_packed(tag, values)
    }
    fn merge_repeated(
        wire_type: WireType,
        values: &mut Vec<T>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        enums::merge_repeated(wire_type, values, buf, ctx)
    }
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.name())
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        enums::deserialize(deserializer)
    }
}

impl<T: ProtoEnum + FieldValue> OptionalRules<T> for EnumKind {
    const KIND: FieldKind = FieldKind::Optional(enum_type::<T>());
    type Target = T;
    fn encode_some(value: &T, tag: u32, buf: &mut impl BufMut) {
        enums::encode_one(tag, *value, buf)
    }
    fn encoded_len_some(value: &T, tag: u32) -> usize {
        enums::encoded_len_one(tag, *value)
    }
    fn merge_option(
        slot: &mut Option<T>,
        _tag: u32,
        _number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        enums::merge_one(wire_type, slot.get_or_insert_default(), buf, ctx)
    }
    fn serialize_some<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.name())
    }
    fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        enums::deserialize(deserializer)
    }
    fn set_some(slot: &mut Option<T>, path: &[&str], text: &str) -> Result<(), FieldError> {
        fill(slot, path, text)
    }
}

impl<T: Oneof> OptionalRules<T> for OneofKind {
    const SPAN: u32 = T::SPAN;
    const KIND: FieldKind = oneof_kind::<T>();
    type Target = T;
    fn encode_some(value: &T, tag: u32, buf: &mut impl BufMut) {
        value.encode(tag, buf)
    }
    fn encoded_len_some(value: &T, tag: u32) -> usize {
        value.encoded_len(tag)
    }
    fn owns(tag: u32, number: u32) -> bool {
        number >= tag && number - tag < T::SPAN
    }
    fn merge_option(
        slot: &mut Option<T>,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::merge(slot, number - tag, wire_type, buf, ctx)
    }
    fn serialize_some<S: Serializer>(_value: &T, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(oneof_alone())
    }
    fn deserialize_some<'de, D: Deserializer<'de>>(_deserializer: D) -> Result<T, D::Error> {
        Err(D::Error::custom(
            "a oneof is read inside its message, not on its own",
        ))
    }
    fn serialize_option_entry<S: SerializeStruct>(
        this: &Option<T>,
        out: &mut S,
        _name: &'static str,
        declared: bool,
    ) -> Result<(), S::Error> {
        match this {
            Some(value) => value.serialize_into(out, declared),
            None => Ok(()),
        }
    }
    fn variant(key: &str) -> Option<u32> {
        T::variant(key)
    }
    fn merge_variant<'de, A: MapAccess<'de>>(
        this: &mut Option<T>,
        variant: u32,
        map: &mut A,
    ) -> Result<(), A::Error> {
        *this = Some(T::deserialize_variant(variant, map)?);
        Ok(())
    }
    fn set_some(_slot: &mut Option<T>, path: &[&str], _text: &str) -> Result<(), FieldError> {
        Err(FieldError::Unknown(path.join(".")))
    }
    fn set_variant(
        slot: &mut Option<T>,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>> {
        T::set_text(slot, key, rest, text)
    }
}

/// Runs `f` on the unboxed slot and boxes the result again.
fn unboxed<T, R>(slot: &mut Option<Box<T>>, f: impl FnOnce(&mut Option<T>) -> R) -> R {
    let mut inner = slot.take().map(|b| *b);
    let result = f(&mut inner);
    *slot = inner.map(Box::new);
    result
}

impl<T: Kinded, K: OptionalRules<T>> OptionalRules<Box<T>> for Boxed<K> {
    const SPAN: u32 = K::SPAN;
    const KIND: FieldKind = K::KIND;
    type Target = K::Target;
    fn encode_some(value: &Box<T>, tag: u32, buf: &mut impl BufMut) {
        K::encode_some(value, tag, buf)
    }
    fn encoded_len_some(value: &Box<T>, tag: u32) -> usize {
        K::encoded_len_some(value, tag)
    }
    fn owns(tag: u32, number: u32) -> bool {
        K::owns(tag, number)
    }
    fn merge_option(
        slot: &mut Option<Box<T>>,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        unboxed(slot, |inner| {
            K::merge_option(inner, tag, number, wire_type, buf, ctx)
        })
    }
    fn serialize_some<S: Serializer>(value: &Box<T>, serializer: S) -> Result<S::Ok, S::Error> {
        K::serialize_some(value, serializer)
    }
    fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Box<T>, D::Error> {
        K::deserialize_some(deserializer).map(Box::new)
    }
    fn set_some(slot: &mut Option<Box<T>>, path: &[&str], text: &str) -> Result<(), FieldError> {
        unboxed(slot, |inner| K::set_some(inner, path, text))
    }
}
