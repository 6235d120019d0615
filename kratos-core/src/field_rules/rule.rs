//! The rule vocabulary, as static data: the macro writes one `static` list per
//! field, and an exporter can read the same lists to write protovalidate options.

use std::sync::OnceLock;

/// One rule on a field; which ones fit which field type is checked by the macro.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rule {
    /// At least this many characters (strings) or bytes (bytes): `min_len`.
    MinLen(usize),
    /// At most this many characters (strings) or bytes (bytes): `max_len`.
    MaxLen(usize),
    /// Exactly this many characters (strings) or bytes (bytes): `len`.
    Len(usize),
    /// A string of at least this many UTF-8 bytes: `min_bytes`.
    MinBytes(usize),
    /// A string of at most this many UTF-8 bytes: `max_bytes`.
    MaxBytes(usize),
    /// A string matching a regular expression (RE2 syntax of the `regex` crate).
    Pattern(&'static Pattern),
    /// A string starting with this text.
    Prefix(&'static str),
    /// A string ending with this text.
    Suffix(&'static str),
    /// A string containing this text.
    Contains(&'static str),
    /// A string not containing this text.
    NotContains(&'static str),
    /// An email address.
    Email,
    /// An absolute URI.
    Uri,
    /// A UUID in its 8-4-4-4-12 hex form.
    Uuid,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A number greater than this.
    Gt(Value),
    /// A number greater than or equal to this.
    Gte(Value),
    /// A number less than this.
    Lt(Value),
    /// A number less than or equal to this.
    Lte(Value),
    /// One of these values.
    In(&'static [Value]),
    /// None of these values.
    NotIn(&'static [Value]),
    /// The field is set: an `Option` is `Some` (a message, a oneof, an optional scalar).
    Required,
    /// A repeated field with at least this many items.
    MinItems(usize),
    /// A repeated field with at most this many items.
    MaxItems(usize),
    /// A repeated field whose items are all different.
    Unique,
    /// Rules every item of a repeated field follows.
    Items(&'static [Rule]),
    /// A map with at least this many entries.
    MinPairs(usize),
    /// A map with at most this many entries.
    MaxPairs(usize),
    /// Rules every key of a map follows.
    Keys(&'static [Rule]),
    /// Rules every value of a map follows.
    Values(&'static [Rule]),
}

/// A literal in a rule: a number bound or an `in` / `not_in` entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An integer (every integer field type fits in it).
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(&'static str),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s}"),
        }
    }
}

/// A `pattern` rule: its source, and the regex compiled once, on first use.
pub struct Pattern {
    source: &'static str,
    regex: OnceLock<Option<regex::Regex>>,
}

impl Pattern {
    /// A pattern; the macro has already checked that `source` compiles.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            regex: OnceLock::new(),
        }
    }

    /// The pattern as written.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether `text` matches; a pattern that does not compile (the macro refuses
    /// those, so only a hand-built one) matches nothing.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex
            .get_or_init(|| regex::Regex::new(self.source).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}
