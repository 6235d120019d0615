//! `key=value` pairs read into a message: every query string, and the bodies of the
//! form codec. Kept apart from the codec so query binding works without the `form`
//! feature.
//!
//! A key is a dotted field path (`page.size=10`), set through [`Decode::set_field`]
//! with the same text parsing as path and query parameters; a repeated key appends
//! to a repeated field, and a key that names no field is ignored, as Go kratos
//! ignores unknown query keys. A key that goes more than [`MAX_DEPTH`] levels down
//! is an error, since each name is one level of recursion into the message.

use super::{Decode, MAX_DEPTH};
use crate::message::FieldError;

/// Sets every `key=value` pair of a form body or query string on `target`; keys
/// that name no field are skipped, keys nested deeper than [`MAX_DEPTH`] refused.
pub fn set_fields(target: &mut dyn Decode, input: &[u8]) -> Result<(), FieldError> {
    for (key, value) in form_urlencoded::parse(input) {
        // `a.b` is one level below the message: a level per dot.
        if key.bytes().filter(|&b| b == b'.').count() > MAX_DEPTH {
            return Err(FieldError::TooDeep);
        }
        let path: Vec<&str> = key.split('.').collect();
        match target.set_field(&path, &value) {
            Ok(()) | Err(FieldError::Unknown(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
