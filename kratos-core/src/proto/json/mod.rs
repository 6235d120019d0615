//! The protobuf JSON mapping as Go kratos configures protojson: lowerCamel names
//! on output (declared names on request, per message or for the whole process),
//! either name accepted on input, 64-bit integers as strings (numbers accepted),
//! bytes as base64, enums by name (numbers accepted), `NaN`/`Infinity` as
//! strings, `null` read as the default, unknown keys ignored, unpopulated fields
//! written (a unset message or `optional` as `null`; an unset oneof not at all).
//!
//! Like [`super::ProtoField`], the rule for a field comes from its type through
//! [`JsonField`], so `#[kratos::message]` writes the same call for every field.
//! Input is lenient where other encodings need it: a number or bool written as a
//! string is read (XML and forms carry only text), and so is a scalar in a string field.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use serde::de::{self, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

mod scalars;

use scalars::Text;
pub use scalars::text_of_map;

static DECLARED_NAMES: AtomicBool = AtomicBool::new(false);

/// Writes every message's JSON with its declared (snake_case) field names instead
/// of lowerCamel, for the whole process; input accepts both either way.
pub fn use_declared_names(on: bool) {
    DECLARED_NAMES.store(on, Ordering::Relaxed);
}

/// Whether a message writes declared names: its own `declared_names` flag or the global switch.
#[inline]
pub fn declared_names(message_flag: bool) -> bool {
    message_flag || DECLARED_NAMES.load(Ordering::Relaxed)
}

/// How a field's type is written in and read from JSON (and the other serde codecs).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no protobuf JSON mapping",
    label = "not a protobuf field type",
    note = "a field is a scalar, a `#[kratos::message]` struct or enum, a Timestamp or Duration, or Vec/Option/HashMap of those: put `#[kratos::message]` on your own struct or enum, or pick one of these"
)]
pub trait JsonField: Sized {
    /// Writes the value.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads a value; `null` reads as the default.
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// Writes the field as one entry of its message; a oneof writes its
    /// alternative's name instead of `name`, or nothing when unset.
    fn serialize_entry<S: SerializeStruct>(
        &self,
        out: &mut S,
        name: &'static str,
        declared: bool,
    ) -> Result<(), S::Error> {
        let _ = declared;
        out.serialize_field(name, &Ser(self))
    }
    /// For a oneof field: the alternative a JSON key names.
    fn variant(key: &str) -> Option<u32> {
        let _ = key;
        None
    }
    /// For a oneof field: reads the alternative `variant` from the map's next value.
    fn merge_variant<'de, A: MapAccess<'de>>(
        &mut self,
        variant: u32,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let _ = (variant, map);
        Err(A::Error::custom("not a oneof field"))
    }
}

/// What `Option<Self>` means in JSON: `null` when unset, except for a oneof,
/// which is written inline in its message.
pub trait JsonOptional: Sized {
    /// Writes a present value.
    fn serialize_some<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads a present value.
    fn deserialize_some<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// Writes `Option<Self>` as an entry of its message.
    fn serialize_option_entry<S: SerializeStruct>(
        this: &Option<Self>,
        out: &mut S,
        name: &'static str,
        declared: bool,
    ) -> Result<(), S::Error> {
        let _ = declared;
        out.serialize_field(name, &Ser(this))
    }
    /// The alternative a key names (oneofs only).
    fn variant(key: &str) -> Option<u32> {
        let _ = key;
        None
    }
    /// Reads alternative `variant` (oneofs only).
    fn merge_variant<'de, A: MapAccess<'de>>(
        this: &mut Option<Self>,
        variant: u32,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let _ = (this, variant, map);
        Err(A::Error::custom("not a oneof field"))
    }
}

/// Serializes a [`JsonField`] through serde.
pub struct Ser<'a, T>(pub &'a T);

impl<T: JsonField> Serialize for Ser<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Deserializes a [`JsonField`] through serde.
pub struct De<T>(pub T);

impl<'de, T: JsonField> Deserialize<'de> for De<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(De)
    }
}

struct DeSome<T>(T);

impl<'de, T: JsonOptional> Deserialize<'de> for DeSome<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_some(deserializer).map(DeSome)
    }
}

impl<T: JsonOptional> JsonField for Option<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => value.serialize_some(serializer),
            None => serializer.serialize_none(),
        }
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<DeSome<T>>::deserialize(deserializer)?.map(|v| v.0))
    }
    fn serialize_entry<S: SerializeStruct>(
        &self,
        out: &mut S,
        name: &'static str,
        declared: bool,
    ) -> Result<(), S::Error> {
        T::serialize_option_entry(self, out, name, declared)
    }
    fn variant(key: &str) -> Option<u32> {
        T::variant(key)
    }
    fn merge_variant<'de, A: MapAccess<'de>>(
        &mut self,
        variant: u32,
        map: &mut A,
    ) -> Result<(), A::Error> {
        T::merge_variant(self, variant, map)
    }
}

impl<T: JsonField> JsonField for Vec<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for item in self {
            seq.serialize_element(&Ser(item))?;
        }
        seq.end()
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T>(PhantomData<T>);
        impl<'de, T: JsonField> Visitor<'de> for Items<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(De(item)) = seq.next_element::<De<T>>()? {
                    out.push(item);
                }
                Ok(out)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
        }
        // `null` is an empty list; serde's formats hand it over as an absent option.
        struct List<T>(Vec<T>);
        impl<'de, T: JsonField> Deserialize<'de> for List<T> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_seq(Items(PhantomData)).map(List)
            }
        }
        Ok(Option::<List<T>>::deserialize(deserializer)?.map_or_else(Vec::new, |l| l.0))
    }
}

/// The base64 protobuf JSON reads: standard or URL-safe alphabet, padded or not.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    if text.contains(['-', '_']) {
        URL_SAFE.decode(text)
    } else {
        STANDARD.decode(text)
    }
}

/// Reads bytes from base64 text.
pub fn bytes_from_text(text: &str) -> Result<Vec<u8>, String> {
    decode_base64(text).map_err(|e| format!("{text:?} is not base64: {e}"))
}

impl JsonField for Vec<u8> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(self))
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = deserializer.deserialize_any(Text(0))?;
        bytes_from_text(&text).map_err(D::Error::custom)
    }
}

/// A map key: written as a JSON object key (always a string) and read back from one.
pub trait JsonMapKey: Sized + Eq + Hash {
    /// The key as text.
    fn to_key(&self) -> Cow<'_, str>;
    /// The key from text.
    fn from_key(text: &str) -> Result<Self, String>;
}

impl JsonMapKey for String {
    fn to_key(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
    fn from_key(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

macro_rules! parsed_key {
    ($($t:ty),*) => {$(
        impl JsonMapKey for $t {
            fn to_key(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
            fn from_key(text: &str) -> Result<Self, String> {
                text.parse().map_err(|e| format!("map key {text:?} is not a {}: {e}", stringify!($t)))
            }
        }
    )*};
}

parsed_key!(i32, i64, u32, u64, bool);

impl<K: JsonMapKey, V: JsonField> JsonField for HashMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k.to_key().as_ref(), &Ser(v))?;
        }
        map.end()
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: JsonMapKey, V: JsonField> Visitor<'de> for Entries<K, V> {
            type Value = HashMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = HashMap::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let parsed = K::from_key(&key).map_err(A::Error::custom)?;
                    let De(value) = map.next_value::<De<V>>()?;
                    // protojson refuses a key given twice rather than keeping one.
                    if out.insert(parsed, value).is_some() {
                        return Err(A::Error::custom(format_args!("duplicate map key {key:?}")));
                    }
                }
                Ok(out)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(HashMap::new())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(HashMap::new())
            }
        }
        struct Object<K, V>(HashMap<K, V>);
        impl<'de, K: JsonMapKey, V: JsonField> Deserialize<'de> for Object<K, V> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer
                    .deserialize_map(Entries(PhantomData))
                    .map(Object)
            }
        }
        Ok(Option::<Object<K, V>>::deserialize(deserializer)?.map_or_else(HashMap::new, |o| o.0))
    }
}

/// A message whose JSON visitor reads into `Default` then sets fields; the
/// expansion of `#[kratos::message]` calls it from its `Deserialize`.
pub fn expecting(name: &'static str) -> impl fmt::Display {
    struct Expecting(&'static str);
    impl fmt::Display for Expecting {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {} message as an object", self.0)
        }
    }
    Expecting(name)
}

/// Takes one level of nesting for a message whose `Deserialize` starts, so that a
/// recursive message read by any serde codec stops at
/// [`MAX_DEPTH`](crate::encoding::MAX_DEPTH) instead of exhausting the stack.
pub fn enter_message<E: de::Error>() -> Result<crate::encoding::depth::Level, E> {
    crate::encoding::depth::enter().map_err(E::custom)
}

/// A message's JSON object names the same field twice (under either of its names),
/// which protojson refuses rather than letting the last one win.
pub fn duplicate_field<E: de::Error>(name: &str) -> E {
    E::custom(format_args!("duplicate field {name:?}"))
}

/// A message's JSON object sets two alternatives of one oneof, which protojson refuses.
pub fn oneof_already_set<E: de::Error>(oneof: &str) -> E {
    E::custom(format_args!(
        "oneof {oneof:?} is already set: an object holds at most one of its alternatives"
    ))
}

/// Reads a message, or its default from `null` (for message-typed fields).
pub fn message_or_default<'de, M, D>(deserializer: D) -> Result<M, D::Error>
where
    M: Deserialize<'de> + Default,
    D: Deserializer<'de>,
{
    Ok(Option::<M>::deserialize(deserializer)?.unwrap_or_default())
}

/// Error for a oneof serialized outside its message.
pub fn oneof_alone<E: serde::ser::Error>() -> E {
    E::custom("a oneof is written inside its message, not on its own")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_json<T: JsonField>(v: &T) -> String {
        serde_json::to_string(&Ser(v)).unwrap()
    }

    fn from_json<T: JsonField>(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str::<De<T>>(text).map(|d| d.0)
    }

    #[test]
    fn sixty_four_bit_integers_are_strings_and_read_either_way() {
        assert_eq!(to_json(&i64::MIN), "\"-9223372036854775808\"");
        assert_eq!(to_json(&u64::MAX), "\"18446744073709551615\"");
        assert_eq!(from_json::<i64>("\"-5\"").unwrap(), -5);
        assert_eq!(from_json::<i64>("-5").unwrap(), -5);
        assert_eq!(from_json::<u64>("\"1e2\"").unwrap(), 100);
        assert_eq!(to_json(&7i32), "7");
        assert_eq!(from_json::<i32>("\"7\"").unwrap(), 7);
        assert_eq!(from_json::<i32>("1.0").unwrap(), 1);
        assert!(from_json::<i32>("1.5").is_err());
        assert!(from_json::<i32>("4294967296").is_err());
        assert!(from_json::<u32>("-1").is_err());
        assert_eq!(from_json::<i32>("null").unwrap(), 0);
    }

    #[test]
    fn floats_write_non_finite_values_as_strings() {
        assert_eq!(to_json(&f64::NAN), "\"NaN\"");
        assert_eq!(to_json(&f32::NEG_INFINITY), "\"-Infinity\"");
        assert_eq!(to_json(&1.5f64), "1.5");
        assert!(from_json::<f64>("\"Infinity\"").unwrap().is_infinite());
        assert_eq!(from_json::<f32>("\"2.5\"").unwrap(), 2.5);
    }

    #[test]
    fn bytes_are_base64_and_read_in_both_alphabets() {
        let bytes = vec![0xfb, 0xff, 0x01];
        assert_eq!(to_json(&bytes), "\"+/8B\"");
        assert_eq!(from_json::<Vec<u8>>("\"+/8B\"").unwrap(), bytes);
        assert_eq!(from_json::<Vec<u8>>("\"-_8B\"").unwrap(), bytes);
        assert_eq!(from_json::<Vec<u8>>("\"AQ\"").unwrap(), [1]);
        assert!(from_json::<Vec<u8>>("\"***\"").is_err());
    }

    #[test]
    fn maps_use_string_keys() {
        let map: HashMap<i64, String> = [(3, "x".to_owned())].into();
        assert_eq!(to_json(&map), r#"{"3":"x"}"#);
        assert_eq!(
            from_json::<HashMap<i64, String>>(r#"{"3":"x"}"#).unwrap(),
            map
        );
        assert!(from_json::<HashMap<i64, String>>(r#"{"a":"x"}"#).is_err());
        let map: HashMap<bool, i64> = [(true, 1)].into();
        assert_eq!(to_json(&map), r#"{"true":"1"}"#);
    }

    #[test]
    fn null_reads_as_default_and_unset_optional_writes_null() {
        assert_eq!(from_json::<Vec<i32>>("null").unwrap(), Vec::<i32>::new());
        assert_eq!(from_json::<String>("null").unwrap(), "");
        assert_eq!(to_json(&None::<i32>), "null");
        assert_eq!(to_json(&Some(0i64)), "\"0\"");
        assert_eq!(from_json::<Option<u64>>("\"9\"").unwrap(), Some(9));
    }

    #[test]
    fn the_global_switch_is_read_with_the_message_flag() {
        assert!(declared_names(true));
        // The global default keeps lowerCamel; set it back whatever happens.
        assert!(!declared_names(false));
    }
}
