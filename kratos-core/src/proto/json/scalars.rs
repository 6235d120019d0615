//! [`JsonField`] for the scalar types, read leniently: numbers from JSON numbers
//! or strings (protobuf JSON writes 64-bit integers as strings; XML and forms carry
//! only text), `NaN`/`Infinity`, bools from `true`/`false` text, and the text of
//! an element that a format hands over as a map (quick-xml's `$text`).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;

use super::{JsonField, JsonOptional};
use crate::encoding::{MAX_DEPTH, TooDeep};

/// The text of an element, for formats that hand an element as a map of its
/// content (quick-xml: `{"$text": "..."}` plus attributes); empty when it has none.
pub fn text_of_map<'de, A: MapAccess<'de>>(map: A) -> Result<String, A::Error> {
    text_at(map, 0)
}

/// [`text_of_map`] for an element `below` levels inside the field's own: the text
/// may be another element handed as a map again, so the descent is bounded.
fn text_at<'de, A: MapAccess<'de>>(mut map: A, below: usize) -> Result<String, A::Error> {
    let mut text = String::new();
    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
        if key == "$text" || key == "$value" {
            if below >= MAX_DEPTH {
                return Err(de::Error::custom(TooDeep));
            }
            text = map.next_value_seed(TextSeed(below + 1))?;
        } else {
            map.next_value::<de::IgnoredAny>()?;
        }
    }
    Ok(text)
}

struct TextSeed(usize);

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(Text(self.0))
    }
}

/// Any scalar read as text (for string fields, bytes and lenient parsing), at the
/// given depth below the field (0 for the field itself).
pub(super) struct Text(pub(super) usize);

impl<'de> Visitor<'de> for Text {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<String, A::Error> {
        text_at(map, self.0)
    }
}

impl JsonField for String {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Text(0))
    }
}

/// A number read from a JSON number or a string, checked against the target type's range.
struct Number<T>(PhantomData<T>);

/// What a number type needs to be read leniently.
trait Numeric: Sized + Default + std::str::FromStr {
    const NAME: &'static str;
    fn from_i64(v: i64) -> Option<Self>;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_f64(v: f64) -> Option<Self>;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Numeric for $t {
            const NAME: &'static str = stringify!($t);
            fn from_i64(v: i64) -> Option<Self> { <$t>::try_from(v).ok() }
            fn from_u64(v: u64) -> Option<Self> { <$t>::try_from(v).ok() }
            fn from_f64(v: f64) -> Option<Self> {
                // protobuf JSON accepts `1.0` and `1e2` for integers, not `1.5`.
                (v.fract() == 0.0 && v >= <$t>::MIN as f64 && v <= <$t>::MAX as f64).then_some(v as $t)
            }
        }
    )*};
}

integer!(i32, i64, u32, u64);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl Numeric for $t {
            const NAME: &'static str = stringify!($t);
            fn from_i64(v: i64) -> Option<Self> { Some(v as $t) }
            fn from_u64(v: u64) -> Option<Self> { Some(v as $t) }
            fn from_f64(v: f64) -> Option<Self> { Some(v as $t) }
        }
    )*};
}

float!(f32, f64);

impl<'de, T: Numeric> Visitor<'de> for Number<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} as a number or a string", T::NAME)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_i64(v).ok_or_else(|| E::custom(format!("{v} is out of range for {}", T::NAME)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| E::custom(format!("{v} is out of range for {}", T::NAME)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::from_f64(v).ok_or_else(|| E::custom(format!("{v} is not a {}", T::NAME)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let text = v.trim();
        match text {
            "NaN" => return self.visit_f64(f64::NAN),
            "Infinity" => return self.visit_f64(f64::INFINITY),
            "-Infinity" => return self.visit_f64(f64::NEG_INFINITY),
            _ => {}
        }
        if let Ok(value) = text.parse::<T>() {
            return Ok(value);
        }
        // `"1e2"` and `"1.0"` are integers in protobuf JSON too.
        match text.parse::<f64>() {
            Ok(f) => self.visit_f64(f),
            Err(_) => Err(E::custom(format!("{v:?} is not a {}", T::NAME))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let text = text_of_map(map)?;
        if text.is_empty() {
            return Ok(T::default());
        }
        self.visit_str(&text)
    }
}

macro_rules! number_field {
    ($t:ty, $serialize:ident) => {
        impl JsonField for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.$serialize(*self)
            }
            fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Number::<$t>(PhantomData))
            }
        }
    };
}

number_field!(i32, serialize_i32);
number_field!(u32, serialize_u32);

macro_rules! string_number_field {
    ($($t:ty),*) => {$(
        impl JsonField for $t {
            /// 64-bit integers are strings in protobuf JSON: JavaScript loses digits past 2^53.
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
            fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Number::<$t>(PhantomData))
            }
        }
    )*};
}

string_number_field!(i64, u64);

macro_rules! float_field {
    ($($t:ty),*) => {$(
        impl JsonField for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if self.is_nan() {
                    serializer.serialize_str("NaN")
                } else if self.is_infinite() {
                    serializer.serialize_str(if *self > 0.0 { "Infinity" } else { "-Infinity" })
                } else {
                    serde::Serialize::serialize(self, serializer)
                }
            }
            fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Number::<$t>(PhantomData))
            }
        }
    )*};
}

float_field!(f32, f64);

struct Flag;

impl<'de> Visitor<'de> for Flag {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true or false")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(E::custom(format!("{v:?} is not a bool (true or false)"))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        let text = text_of_map(map)?;
        if text.is_empty() {
            return Ok(false);
        }
        self.visit_str(&text)
    }
}

impl JsonField for bool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(*self)
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Flag)
    }
}

macro_rules! optional_scalar {
    ($($t:ty),*) => {$(
        impl JsonOptional for $t {
            fn serialize_some<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                JsonField::serialize(self, serializer)
            }
            fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$t as JsonField>::deserialize(deserializer)
            }
        }
    )*};
}

optional_scalar!(i32, i64, u32, u64, f32, f64, bool, String, Vec<u8>);
