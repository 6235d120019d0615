//! How Rust field types are written in protobuf's binary format, chosen by the
//! field's type rather than by its spelling: `#[kratos::message]` cannot tell a
//! message from an enum or a oneof by name, so every field goes through
//! [`ProtoField`] and the type's own impl decides. The wire work itself is
//! prost's (`prost::encoding`); this module only picks which prost function runs.
//!
//! - scalars, `String`, `Vec<u8>` (bytes): implicit presence, skipped when default;
//! - `Option<T>`: explicit presence (proto3 `optional`, a message field, a oneof);
//! - `Vec<T>`: `repeated` (packed for numbers and enums);
//! - `HashMap<K, V>`: `map<K, V>`;
//! - a message, enum or oneof type (and `Box` of one): blanket impls chosen by
//!   the type's [`Kinded::Kind`], in [`rules`].

pub mod enums;
pub mod fields;
pub mod json;
mod kinds;
pub mod message;
pub mod route_check;
pub mod rules;
mod scalars;
pub mod wkt;

use std::collections::HashMap;
use std::hash::Hash;

use prost::DecodeError;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};

use crate::descriptor::{FieldKind, FieldType};

pub use kinds::{Oneof, ProtoEnum};
pub use rules::{EnumKind, Kinded, MessageKind, OneofKind};

/// A field of a message: how its value is encoded at its field number.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no protobuf mapping",
    label = "not a protobuf field type",
    note = "a field is a scalar (String, bool, i32, i64, u32, u64, f32, f64, Vec<u8>), a `#[kratos::message]` struct or enum, a Timestamp or Duration, or Vec/Option/HashMap of those: put `#[kratos::message]` on your own struct or enum, or pick one of these"
)]
// `{Self}` is the whole field type: for `Option<Plain>` rustc stops here (the
// `Option<T>` impl and the blanket one both match), so the note must not tell
// the user to annotate `{Self}` itself; `Kinded`'s note names the inner type.
pub trait ProtoField: Default {
    /// How many field numbers the field takes: one, or a oneof's variant count.
    const SPAN: u32 = 1;
    /// The field's cardinality and type, for descriptors.
    const KIND: FieldKind;
    /// Writes the field (nothing when it holds its default and has no presence).
    fn encode(&self, tag: u32, buf: &mut impl BufMut);
    /// The bytes [`ProtoField::encode`] writes.
    fn encoded_len(&self, tag: u32) -> usize;
    /// Whether field `number` read off the wire belongs to this field declared at `tag`.
    fn owns(tag: u32, number: u32) -> bool {
        tag == number
    }
    /// Reads one occurrence of the field.
    fn merge(
        &mut self,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
}

/// A type that can stand alone in a field: an element of `repeated`, a map value,
/// the inside of `Option`, a oneof alternative.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no protobuf mapping",
    label = "not a protobuf value type",
    note = "a list element, map value or oneof alternative is a scalar, a `#[kratos::message]` struct or enum, or a Timestamp or Duration"
)]
pub trait ProtoElem: Default + PartialEq {
    /// Its protobuf type.
    const TYPE: FieldType;
    /// Writes one value at `tag`, even a default one.
    fn encode_one(tag: u32, value: &Self, buf: &mut impl BufMut);
    /// The bytes [`ProtoElem::encode_one`] writes.
    fn encoded_len_one(tag: u32, value: &Self) -> usize;
    /// Reads one value.
    fn merge_one(
        wire_type: WireType,
        value: &mut Self,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
    /// Writes a repeated field (packed where protobuf packs).
    fn encode_repeated(tag: u32, values: &[Self], buf: &mut impl BufMut);
    /// The bytes [`ProtoElem::encode_repeated`] writes.
    fn encoded_len_repeated(tag: u32, values: &[Self]) -> usize;
    /// Reads one occurrence of a repeated field (packed or not).
    fn merge_repeated(
        wire_type: WireType,
        values: &mut Vec<Self>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
}

/// What `Option<Self>` means on the wire: `optional` for a scalar or enum, a
/// message field for a message, the alternatives of a oneof.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no protobuf mapping",
    label = "not a protobuf field type",
    note = "`Option` holds a scalar, a `#[kratos::message]` struct, enum or oneof, or a Timestamp or Duration: put `#[kratos::message]` on `{Self}`"
)]
pub trait ProtoOptional: Sized {
    /// Field numbers `Option<Self>` takes.
    const SPAN: u32 = 1;
    /// The kind of `Option<Self>`.
    const KIND: FieldKind;
    /// Writes a present value.
    fn encode_some(&self, tag: u32, buf: &mut impl BufMut);
    /// The bytes [`ProtoOptional::encode_some`] writes.
    fn encoded_len_some(&self, tag: u32) -> usize;
    /// Whether field `number` belongs to `Option<Self>` declared at `tag`.
    fn owns(tag: u32, number: u32) -> bool {
        tag == number
    }
    /// Reads one occurrence into the slot.
    fn merge_option(
        slot: &mut Option<Self>,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
}

/// A type that can be a map key: strings, integers and bool.
pub trait ProtoMapKey: ProtoElem + Eq + Hash + Ord {}

impl<T: ProtoOptional> ProtoField for Option<T> {
    const SPAN: u32 = T::SPAN;
    const KIND: FieldKind = T::KIND;
    fn encode(&self, tag: u32, buf: &mut impl BufMut) {
        if let Some(value) = self {
            value.encode_some(tag, buf);
        }
    }
    fn encoded_len(&self, tag: u32) -> usize {
        self.as_ref().map_or(0, |v| v.encoded_len_some(tag))
    }
    fn owns(tag: u32, number: u32) -> bool {
        T::owns(tag, number)
    }
    fn merge(
        &mut self,
        tag: u32,
        number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::merge_option(self, tag, number, wire_type, buf, ctx)
    }
}

impl<T: ProtoElem> ProtoField for Vec<T> {
    const KIND: FieldKind = FieldKind::Repeated(T::TYPE);
    fn encode(&self, tag: u32, buf: &mut impl BufMut) {
        T::encode_repeated(tag, self, buf)
    }
    fn encoded_len(&self, tag: u32) -> usize {
        T::encoded_len_repeated(tag, self)
    }
    fn merge(
        &mut self,
        _tag: u32,
        _number: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        T::merge_repeated(wire_type, self, buf, ctx)
    }
}

impl<K: ProtoMapKey, V: ProtoElem> ProtoField for HashMap<K, V> {
    const KIND: FieldKind = FieldKind::Map(K::TYPE, V::TYPE);
    fn encode(&self, tag: u32, buf: &mut impl BufMut) {
        prost::encoding::hash_map::encode(
            K::encode_one,
            K::encoded_len_one,
            V::encode_one,
            V::encoded_len_one,
            tag,
            self,
            buf,
        )
    }
    fn encoded_len(&self, tag: u32) -> usize {
        prost::encoding::hash_map::encoded_len(K::encoded_len_one, V::encoded_len_one, tag, self)
    }
    fn merge(
        &mut self,
        _tag: u32,
        _number: u32,
        _wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        prost::encoding::hash_map::merge(K::merge_one, V::merge_one, self, buf, ctx)
    }
}

/// The field numbers of a message's fields: each is the one written with
/// `#[tag(N)]` (`explicit` non-zero) or follows the previous field's range; a
/// overlap stops compilation (const evaluation) with the reason.
pub const fn numbers<const N: usize>(fields: [(u32, u32); N]) -> [u32; N] {
    let mut out = [0u32; N];
    let mut next = 1u32;
    let mut i = 0;
    while i < N {
        let (explicit, span) = fields[i];
        let first = if explicit != 0 { explicit } else { next };
        let end = first + span;
        if end - 1 > 536_870_911 {
            panic!(
                "a field number of this #[kratos::message] passes 536870911: lower its `#[tag(N)]`"
            );
        }
        let mut j = 0;
        while j < i {
            let (_, other_span) = fields[j];
            let other = out[j];
            if first < other + other_span && other < end {
                panic!(
                    "two fields of this #[kratos::message] share a field number (a oneof takes one number per alternative): give the later field a free `#[tag(N)]`"
                );
            }
            j += 1;
        }
        out[i] = first;
        next = end;
        i += 1;
    }
    out
}

/// A message's field descriptors with their numbers filled in by [`numbers`]:
/// `fields[i].number` is the explicit `#[tag(N)]` or 0, `spans[i]` the numbers the
/// field takes.
pub const fn numbered<const N: usize>(
    mut fields: [crate::descriptor::FieldDescriptor; N],
    spans: [u32; N],
) -> [crate::descriptor::FieldDescriptor; N] {
    let mut pairs = [(0u32, 0u32); N];
    let mut i = 0;
    while i < N {
        pairs[i] = (fields[i].number, spans[i]);
        i += 1;
    }
    let numbers = numbers(pairs);
    i = 0;
    while i < N {
        fields[i].number = numbers[i];
        i += 1;
    }
    fields
}

/// A descriptor for `FieldType::Enum` of `E`, for the `const KIND`s of enum fields.
pub const fn enum_type<E: ProtoEnum>() -> FieldType {
    FieldType::Enum(E::descriptor)
}

/// A descriptor for `FieldKind::Oneof` of `O`.
pub const fn oneof_kind<O: Oneof>() -> FieldKind {
    FieldKind::Oneof(O::descriptor)
}
