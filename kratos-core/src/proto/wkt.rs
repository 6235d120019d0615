//! The well-known types `google.protobuf.Timestamp` and `google.protobuf.Duration`
//! (prost-types' structs, re-exported by `kratos`) as message fields: on the wire
//! the messages they are, in JSON an RFC 3339 string (`"1972-01-01T10:00:20.021Z"`)
//! and a seconds string (`"1.500s"`), as the protobuf JSON mapping says.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

pub use prost_types::{Duration, Timestamp};

use super::rules::{Kinded, MessageKind, MessageWire};
use crate::descriptor::{
    FieldDescriptor, FieldKind, FieldType, MessageDescriptor, message::WELL_KNOWN_PACKAGE,
};
use crate::message::{FieldError, FieldValue};

const SECONDS_AND_NANOS: &[FieldDescriptor] = &[
    FieldDescriptor {
        name: "seconds",
        json_name: "seconds",
        number: 1,
        kind: FieldKind::Singular(FieldType::Int64),
        doc: "",
        rules: &[],
    },
    FieldDescriptor {
        name: "nanos",
        json_name: "nanos",
        number: 2,
        kind: FieldKind::Singular(FieldType::Int32),
        doc: "",
        rules: &[],
    },
];

/// The descriptor of `google.protobuf.Timestamp`.
pub fn timestamp_descriptor() -> &'static MessageDescriptor {
    &MessageDescriptor {
        name: "Timestamp",
        package: Some(WELL_KNOWN_PACKAGE),
        fields: SECONDS_AND_NANOS,
        doc: "A point in time, independent of any time zone or calendar.",
    }
}

/// The descriptor of `google.protobuf.Duration`.
pub fn duration_descriptor() -> &'static MessageDescriptor {
    &MessageDescriptor {
        name: "Duration",
        package: Some(WELL_KNOWN_PACKAGE),
        fields: SECONDS_AND_NANOS,
        doc: "A signed, fixed-length span of time.",
    }
}

struct Parsed<T>(PhantomData<T>);

impl<'de, T: FromStr + Default> Visitor<'de> for Parsed<T>
where
    T::Err: fmt::Display,
{
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp or a duration like \"1.5s\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse()
            .map_err(|e| E::custom(format!("{v:?} cannot be read: {e}")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let text = super::json::text_of_map(map)?;
        if text.is_empty() {
            return Ok(T::default());
        }
        self.visit_str(&text)
    }
}

/// A well-known type is a message on the wire (the rules of [`MessageKind`]) with
/// its own JSON form: the string of its `Display`/`FromStr`.
macro_rules! well_known {
    ($ty:ty, $descriptor:ident) => {
        impl Kinded for $ty {
            type Kind = MessageKind;
        }

        impl MessageWire for $ty {
            fn wire_descriptor() -> &'static MessageDescriptor {
                $descriptor()
            }
            fn to_json<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
            fn from_json_field<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Parsed::<$ty>(PhantomData))
            }
            fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(Parsed::<$ty>(PhantomData))
            }
        }

        impl FieldValue for $ty {
            fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
                if !path.is_empty() {
                    return Err(FieldError::Unknown(path.join(".")));
                }
                *self = text.parse().map_err(|e| FieldError::Invalid {
                    field: String::new(),
                    reason: format!("{text:?} cannot be read: {e}"),
                })?;
                Ok(())
            }
        }
    };
}

well_known!(Timestamp, timestamp_descriptor);
well_known!(Duration, duration_descriptor);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::json::{De, Ser};

    #[test]
    fn json_forms_follow_the_protobuf_mapping() {
        let t = Timestamp {
            seconds: 63_108_020,
            nanos: 21_000_000,
        };
        assert_eq!(
            serde_json::to_string(&Ser(&t)).unwrap(),
            "\"1972-01-01T10:00:20.021Z\""
        );
        let back: De<Timestamp> = serde_json::from_str("\"1972-01-01T10:00:20.021Z\"").unwrap();
        assert_eq!(back.0, t);
        let d = Duration {
            seconds: 1,
            nanos: 500_000_000,
        };
        assert_eq!(serde_json::to_string(&Ser(&d)).unwrap(), "\"1.500s\"");
        let back: De<Duration> = serde_json::from_str("\"-0.5s\"").unwrap();
        assert_eq!(
            back.0,
            Duration {
                seconds: 0,
                nanos: -500_000_000
            }
        );
        assert!(serde_json::from_str::<De<Timestamp>>("\"yesterday\"").is_err());
    }
}
