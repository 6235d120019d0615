//! Declarative field rules: what `#[rule(..)]` on a `#[kratos::message]` field
//! asks of its value, and the check both transports run on a request before its
//! handler (no middleware to add). The rules of each field are kept as static
//! data ([`Rule`] lists) that the check interprets, so the same lists can later be
//! written out as protovalidate options (`buf.validate.field`); the violations are
//! worded as protovalidate words them, with its rule ids (`string.min_len`).

mod check;
mod formats;
mod rule;
mod stream;
mod target;

pub use check::{Path, Violation, Violations, check, into_error};
pub use rule::{Pattern, Rule, Value};
pub use stream::checked;
pub use target::{RuleTarget, RulesProbe, ViaNoRules, ViaRules};
