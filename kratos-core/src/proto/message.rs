//! What a request or reply type must be: a protobuf message (for gRPC and the
//! `proto` codec), a serde type (for JSON), and settable field by field from text
//! (for HTTP path and query parameters). `#[kratos::message]` implements all three.

use std::collections::HashMap;
use std::fmt;

/// A request or reply message, as written by `#[kratos::message]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a kratos message",
    label = "not a message",
    note = "put `#[kratos::message]` on the struct `{Self}` (requests and replies are protobuf messages)"
)]
pub trait Message:
    prost::Message
    + Default
    + Clone
    + std::fmt::Debug
    + serde::Serialize
    + serde::de::DeserializeOwned
    + FieldValue
    + Send
    + Sync
    + 'static
{
    /// The message's protobuf description: name, package, fields. A constant, so
    /// route checks can read field names at compile time.
    const DESCRIPTOR: &'static crate::descriptor::MessageDescriptor;

    /// [`Message::DESCRIPTOR`] as a function, for descriptors that refer to it.
    fn descriptor() -> &'static crate::descriptor::MessageDescriptor {
        Self::DESCRIPTOR
    }

    /// Checks the `#[rule(..)]` rules of the message's fields and of the messages
    /// inside it ([`crate::field_rules`]); `#[kratos::message]` writes it.
    fn check_rules(
        &self,
        _path: &crate::field_rules::Path<'_>,
        _out: &mut crate::field_rules::Violations,
    ) {
    }
}

/// Why a path or query parameter could not be set on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldError {
    /// No field has this name (the message ignores unknown query keys, but not unknown path variables).
    Unknown(String),
    /// The field exists but the text is not a value of its type.
    Invalid {
        /// The dotted field path.
        field: String,
        /// What went wrong.
        reason: String,
    },
    /// The dotted path names more fields than [`MAX_DEPTH`](crate::encoding::MAX_DEPTH).
    TooDeep,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::Unknown(field) => write!(f, "unknown field {field:?}"),
            FieldError::Invalid { field, reason } => {
                write!(f, "invalid value for field {field:?}: {reason}")
            }
            FieldError::TooDeep => crate::encoding::TooDeep.fmt(f),
        }
    }
}

impl std::error::Error for FieldError {}

impl FieldError {
    /// Prefixes the field path with the name of the field that contains it.
    pub fn within(self, parent: &str) -> Self {
        match self {
            FieldError::Unknown(f) if f.is_empty() => FieldError::Unknown(parent.to_owned()),
            FieldError::Unknown(f) => FieldError::Unknown(format!("{parent}.{f}")),
            FieldError::Invalid { field, reason } if field.is_empty() => FieldError::Invalid {
                field: parent.to_owned(),
                reason,
            },
            FieldError::Invalid { field, reason } => FieldError::Invalid {
                field: format!("{parent}.{field}"),
                reason,
            },
            FieldError::TooDeep => FieldError::TooDeep,
        }
    }
}

/// A value that can be set from the text of a path or query parameter.
///
/// `path` is what remains of the dotted field path below this value: empty for a
/// scalar, one or more names for a nested message. A repeated field appends.
pub trait FieldValue {
    /// Sets (or, for a repeated field, appends) the value at `path` from `text`.
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError>;
    /// For a oneof field: sets the alternative `key` names, `None` if it names none.
    fn set_variant(
        &mut self,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>> {
        let _ = (key, rest, text);
        None
    }
}

/// The type behind a field, where a nested route path continues: `T` for `Option<T>` and `Box<T>`.
pub trait FieldTarget {
    /// The type a nested path continues into.
    type Target: ?Sized;
}

impl<T> FieldTarget for Option<T> {
    type Target = T;
}
impl<T> FieldTarget for Vec<T> {
    type Target = Vec<T>;
}
impl<K, V> FieldTarget for HashMap<K, V> {
    type Target = HashMap<K, V>;
}

fn no_deeper(path: &[&str]) -> Result<(), FieldError> {
    match path.first() {
        None => Ok(()),
        Some(_) => Err(FieldError::Unknown(path.join("."))),
    }
}

macro_rules! scalar_field {
    ($($t:ty),*) => {$(
        impl FieldTarget for $t {
            type Target = $t;
        }
        impl FieldValue for $t {
            fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
                no_deeper(path)?;
                *self = text.parse::<$t>().map_err(|e| FieldError::Invalid {
                    field: String::new(),
                    reason: format!("{text:?} is not a {}: {e}", stringify!($t)),
                })?;
                Ok(())
            }
        }
    )*};
}

scalar_field!(i32, i64, u32, u64, f32, f64);

macro_rules! optional_field {
    ($($t:ty),*) => {$(
        impl FieldOptional for $t {
            fn set_some(slot: &mut Option<Self>, path: &[&str], text: &str) -> Result<(), FieldError> {
                fill(slot, path, text)
            }
        }
    )*};
}

optional_field!(i32, i64, u32, u64, f32, f64, bool, String, Vec<u8>);

impl FieldValue for Vec<u8> {
    /// Bytes in a path or query parameter are base64, as in JSON.
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        no_deeper(path)?;
        *self =
            crate::proto::json::bytes_from_text(text).map_err(|reason| FieldError::Invalid {
                field: String::new(),
                reason,
            })?;
        Ok(())
    }
}

impl FieldTarget for String {
    type Target = String;
}

impl FieldValue for String {
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        no_deeper(path)?;
        text.clone_into(self);
        Ok(())
    }
}

impl FieldTarget for bool {
    type Target = bool;
}

impl FieldValue for bool {
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        no_deeper(path)?;
        *self = match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                return Err(FieldError::Invalid {
                    field: String::new(),
                    reason: format!("{text:?} is not a bool (true or false)"),
                });
            }
        };
        Ok(())
    }
}

/// What setting `Option<Self>` from text means: fill it with a value, or, for a
/// oneof, pick the alternative a key names.
pub trait FieldOptional: Sized {
    /// Sets the value at `path`, creating it first if unset.
    fn set_some(slot: &mut Option<Self>, path: &[&str], text: &str) -> Result<(), FieldError>;
    /// For a oneof: sets the alternative `key` names, or `None` if it names none.
    fn set_variant(
        slot: &mut Option<Self>,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>> {
        let _ = (slot, key, rest, text);
        None
    }
}

/// [`FieldOptional::set_some`] for a type that is set in place once created.
pub fn fill<T: FieldValue + Default>(
    slot: &mut Option<T>,
    path: &[&str],
    text: &str,
) -> Result<(), FieldError> {
    slot.get_or_insert_with(T::default).set_text(path, text)
}

impl<T: FieldOptional> FieldValue for Option<T> {
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        T::set_some(self, path, text)
    }
    fn set_variant(
        &mut self,
        key: &str,
        rest: &[&str],
        text: &str,
    ) -> Option<Result<(), FieldError>> {
        T::set_variant(self, key, rest, text)
    }
}

impl<T: FieldValue + ?Sized> FieldValue for Box<T> {
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        (**self).set_text(path, text)
    }
}

impl<T: FieldValue + Default> FieldValue for Vec<T> {
    /// A repeated key appends: `?id=1&id=2` fills `[1, 2]`.
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<(), FieldError> {
        let mut item = T::default();
        item.set_text(path, text)?;
        self.push(item);
        Ok(())
    }
}

impl<K, V> FieldValue for HashMap<K, V> {
    fn set_text(&mut self, _path: &[&str], _text: &str) -> Result<(), FieldError> {
        Err(FieldError::Invalid {
            field: String::new(),
            reason: "a map field cannot be set from a path or query parameter".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_parse_and_report() {
        let mut n = 0i64;
        n.set_text(&[], "42").unwrap();
        assert_eq!(n, 42);
        let err = n.set_text(&[], "x").unwrap_err();
        assert!(matches!(err, FieldError::Invalid { .. }), "{err}");
        assert_eq!(
            n.set_text(&["a"], "1").unwrap_err(),
            FieldError::Unknown("a".into())
        );
        let mut b = false;
        b.set_text(&[], "true").unwrap();
        assert!(b);
    }

    #[test]
    fn repeated_appends() {
        let mut v: Vec<u32> = Vec::new();
        v.set_text(&[], "1").unwrap();
        v.set_text(&[], "2").unwrap();
        assert_eq!(v, [1, 2]);
    }

    #[test]
    fn error_paths_nest() {
        let e = FieldError::Invalid {
            field: String::new(),
            reason: "r".into(),
        }
        .within("b")
        .within("a");
        assert_eq!(e.to_string(), "invalid value for field \"a.b\": r");
    }
}
