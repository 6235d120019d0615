//! Running a message's rules: the field path of each value (built on the stack,
//! so a valid request allocates nothing), the violations found, and the 400
//! `VALIDATOR` error that reports them.

use std::fmt;

use crate::error::Error;
use crate::message::Message;
use crate::middleware::validate::REASON_VALIDATOR;

/// Where a value sits in the request: `author.name`, `tags[2]`, `labels["env"]`.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Field(&'static str),
    Index(usize),
    Key(&'a dyn fmt::Debug),
}

impl<'a> Path<'a> {
    /// The request itself.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        step: Step::Root,
    };

    /// The field `name` (its declared proto name) of the value at this path.
    pub fn field(&'a self, name: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Field(name),
        }
    }

    /// The path of the message this value is a field of: a oneof's alternatives
    /// are fields of the message that holds the oneof, as protovalidate names them.
    pub fn up(&self) -> &Path<'a> {
        self.parent.unwrap_or(self)
    }

    /// Item `index` of the repeated value at this path.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// The entry `key` of the map at this path.
    pub fn key(&'a self, key: &'a dyn fmt::Debug) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Key(key),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.step {
            Step::Root => Ok(()),
            Step::Field(name) if matches!(self.parent.map(|p| p.step), Some(Step::Root)) => {
                f.write_str(name)
            }
            Step::Field(name) => write!(f, ".{name}"),
            Step::Index(i) => write!(f, "[{i}]"),
            Step::Key(key) => write!(f, "[{key:?}]"),
        }
    }
}

/// One broken rule: the field path, protovalidate's rule id and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field path, `author.name` or `tags[2]`.
    pub field: String,
    /// The rule id, as protovalidate names it: `string.min_len`, `required`.
    pub rule: &'static str,
    /// What the value should be: `value length must be at least 1 characters`.
    pub message: String,
}

/// The violations found so far.
pub type Violations = Vec<Violation>;

/// Records a violation at `path`.
pub(super) fn push(out: &mut Violations, path: &Path<'_>, rule: &'static str, message: String) {
    out.push(Violation {
        field: path.to_string(),
        rule,
        message,
    });
}

/// Checks `message`'s field rules (and those of the messages inside it); the
/// transports call this on every request before its handler.
pub fn check<M: Message>(message: &M) -> Result<(), Error> {
    let mut out = Violations::new();
    message.check_rules(&Path::ROOT, &mut out);
    if out.is_empty() {
        Ok(())
    } else {
        Err(into_error(&out))
    }
}

/// The 400 `VALIDATOR` error of `violations`: its message lists each as
/// `field: message [rule]` (protovalidate's own wording), and its metadata holds
/// each one under `violations.N.field`, `violations.N.rule`, `violations.N.message`.
pub fn into_error(violations: &[Violation]) -> Error {
    let message = violations
        .iter()
        .map(|v| format!("{}: {} [{}]", v.field, v.message, v.rule))
        .collect::<Vec<_>>()
        .join("; ");
    let mut error = Error::bad_request(REASON_VALIDATOR, message);
    for (i, v) in violations.iter().enumerate() {
        error = error
            .with_metadata(format!("violations.{i}.field"), v.field.clone())
            .with_metadata(format!("violations.{i}.rule"), v.rule)
            .with_metadata(format!("violations.{i}.message"), v.message.clone());
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_protovalidate_writes_them() {
        let root = Path::ROOT;
        let author = root.field("author");
        let tags = author.field("tags");
        let item = tags.index(2);
        assert_eq!(item.to_string(), "author.tags[2]");
        let key = "env".to_owned();
        let labels = root.field("labels");
        assert_eq!(labels.key(&key).to_string(), "labels[\"env\"]");
    }
}
