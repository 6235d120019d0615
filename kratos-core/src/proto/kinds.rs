//! The traits a fieldless enum and a oneof implement beside their fields' impls,
//! which follow from their kind (see [`super::rules`]).

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
