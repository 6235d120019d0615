//! The types rules apply to, each checking the rules that fit it (the macro has
//! refused the others at compile time): strings, bytes, numbers, and the
//! `Option`, `Box`, `Vec` and `HashMap` around them, which also carry the check
//! into the messages they hold.

use std::collections::HashMap;
use std::fmt::Debug;

use super::check::{Path, Violations, push};
use super::formats;
use super::rule::{Rule, Value};

/// A field value that rules apply to; `#[kratos::message]` implements it for its
/// messages (checking their fields), oneofs and enums.
pub trait RuleTarget {
    /// Checks `rules` on this value at `path`, and the rules inside it.
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations);

    /// The rule id and message of a `required` field left unset.
    fn missing() -> (&'static str, &'static str) {
        ("required", "value is required")
    }
}

impl RuleTarget for String {
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
        for rule in rules {
            let chars = || self.chars().count();
            let broken = match rule {
                // A UTF-8 character is 1 to 4 bytes: the byte length bounds the count,
                // and most values are decided without counting.
                Rule::MinLen(n) if self.len().div_ceil(4) < *n && chars() < *n => Some((
                    "string.min_len",
                    format!("value length must be at least {n} characters"),
                )),
                Rule::MaxLen(n) if self.len() > *n && chars() > *n => Some((
                    "string.max_len",
                    format!("value length must be at most {n} characters"),
                )),
                Rule::Len(n) if chars() != *n => {
                    Some(("string.len", format!("value length must be {n} characters")))
                }
                Rule::MinBytes(n) if self.len() < *n => Some((
                    "string.min_bytes",
                    format!("value length must be at least {n} bytes"),
                )),
                Rule::MaxBytes(n) if self.len() > *n => Some((
                    "string.max_bytes",
                    format!("value length must be at most {n} bytes"),
                )),
                Rule::Pattern(p) if !p.is_match(self) => Some((
                    "string.pattern",
                    format!("value does not match regex pattern `{}`", p.source()),
                )),
                Rule::Prefix(s) if !self.starts_with(s) => {
                    Some(("string.prefix", format!("value does not have prefix `{s}`")))
                }
                Rule::Suffix(s) if !self.ends_with(s) => {
                    Some(("string.suffix", format!("value does not have suffix `{s}`")))
                }
                Rule::Contains(s) if !self.contains(s) => Some((
                    "string.contains",
                    format!("value does not contain substring `{s}`"),
                )),
                Rule::NotContains(s) if self.contains(s) => Some((
                    "string.not_contains",
                    format!("value contains substring `{s}`"),
                )),
                Rule::Email if !formats::email(self) => Some(format_broken(
                    ("string.email", "string.email_empty"),
                    "email address",
                    self,
                )),
                Rule::Uri if !formats::uri(self) => Some(format_broken(
                    ("string.uri", "string.uri_empty"),
                    "URI",
                    self,
                )),
                Rule::Uuid if !formats::uuid(self) => Some(format_broken(
                    ("string.uuid", "string.uuid_empty"),
                    "UUID",
                    self,
                )),
                Rule::Ip if !formats::ip(self) => Some(format_broken(
                    ("string.ip", "string.ip_empty"),
                    "IP address",
                    self,
                )),
                Rule::Ipv4 if !formats::ipv4(self) => Some(format_broken(
                    ("string.ipv4", "string.ipv4_empty"),
                    "IPv4 address",
                    self,
                )),
                Rule::Ipv6 if !formats::ipv6(self) => Some(format_broken(
                    ("string.ipv6", "string.ipv6_empty"),
                    "IPv6 address",
                    self,
                )),
                Rule::In(list) if !list.iter().any(|v| matches!(v, Value::Str(s) if s == self)) => {
                    Some((
                        "string.in",
                        format!("value must be in list {}", list_text(list)),
                    ))
                }
                Rule::NotIn(list)
                    if list.iter().any(|v| matches!(v, Value::Str(s) if s == self)) =>
                {
                    Some((
                        "string.not_in",
                        format!("value must not be in list {}", list_text(list)),
                    ))
                }
                _ => None,
            };
            if let Some((id, message)) = broken {
                push(out, path, id, message);
            }
        }
    }
}

impl RuleTarget for Vec<u8> {
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
        for rule in rules {
            let broken = match rule {
                Rule::MinLen(n) if self.len() < *n => Some((
                    "bytes.min_len",
                    format!("value length must be at least {n} bytes"),
                )),
                Rule::MaxLen(n) if self.len() > *n => Some((
                    "bytes.max_len",
                    format!("value length must be at most {n} bytes"),
                )),
                Rule::Len(n) if self.len() != *n => {
                    Some(("bytes.len", format!("value length must be {n} bytes")))
                }
                _ => None,
            };
            if let Some((id, message)) = broken {
                push(out, path, id, message);
            }
        }
    }
}

/// A broken format rule as protovalidate reports it: an empty value has an id and
/// message of its own (`string.email_empty`), any other value `string.email`.
fn format_broken(
    (id, empty_id): (&'static str, &'static str),
    what: &str,
    value: &str,
) -> (&'static str, String) {
    if value.is_empty() {
        (
            empty_id,
            format!("value is empty, which is not a valid {what}"),
        )
    } else {
        (id, format!("value must be a valid {what}"))
    }
}

/// `[a, b, c]`, as protovalidate prints a list.
fn list_text(list: &[Value]) -> String {
    let items: Vec<String> = list.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// A number's value for comparisons with a rule's [`Value`].
trait Number: Copy {
    /// The rule id of `kind` (`gt`, `gte_lt`, `in`) on this type: `int32.gt`.
    fn id(kind: &str) -> &'static str;
    fn compare(self, bound: &Value) -> Option<std::cmp::Ordering>;
}

/// `Number::id` for the protovalidate type `$name` (`int32`, `double`): the rule
/// ids as static strings, written once for the integer and float impls.
macro_rules! rule_ids {
    ($name:literal) => {
        fn id(kind: &str) -> &'static str {
            match kind {
                "gt" => concat!($name, ".gt"),
                "gte" => concat!($name, ".gte"),
                "lt" => concat!($name, ".lt"),
                "lte" => concat!($name, ".lte"),
                "gt_lt" => concat!($name, ".gt_lt"),
                "gt_lte" => concat!($name, ".gt_lte"),
                "gte_lt" => concat!($name, ".gte_lt"),
                "gte_lte" => concat!($name, ".gte_lte"),
                "in" => concat!($name, ".in"),
                _ => concat!($name, ".not_in"),
            }
        }
    };
}

macro_rules! integer {
    ($($ty:ty => $name:literal),*) => {$(
        impl Number for $ty {
            rule_ids!($name);
            fn compare(self, bound: &Value) -> Option<std::cmp::Ordering> {
                match bound {
                    Value::Int(b) => Some(i128::from(self).cmp(b)),
                    Value::Float(b) => (self as f64).partial_cmp(b),
                    Value::Str(_) => None,
                }
            }
        }
        impl RuleTarget for $ty {
            fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
                check_number(*self, rules, path, out)
            }
        }
    )*};
}

integer!(i32 => "int32", i64 => "int64", u32 => "uint32", u64 => "uint64");

macro_rules! float {
    ($($ty:ty => $name:literal),*) => {$(
        impl Number for $ty {
            rule_ids!($name);
            fn compare(self, bound: &Value) -> Option<std::cmp::Ordering> {
                match bound {
                    Value::Int(b) => f64::from(self).partial_cmp(&(*b as f64)),
                    Value::Float(b) => f64::from(self).partial_cmp(b),
                    Value::Str(_) => None,
                }
            }
        }
        impl RuleTarget for $ty {
            fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
                check_number(*self, rules, path, out)
            }
        }
    )*};
}

float!(f32 => "float", f64 => "double");

impl RuleTarget for bool {
    fn check(&self, _: &'static [Rule], _: &Path<'_>, _: &mut Violations) {}
}

/// The range rules, as protovalidate words them: a lower and an upper bound
/// together are one rule (`int32.gt_lt`, "greater than 1 and less than 100").
fn check_number<N: Number>(
    value: N,
    rules: &'static [Rule],
    path: &Path<'_>,
    out: &mut Violations,
) {
    use std::cmp::Ordering::{Greater, Less};
    let mut lower: Option<(&'static str, &Value, &'static str)> = None;
    let mut upper: Option<(&'static str, &Value, &'static str)> = None;
    for rule in rules {
        match rule {
            Rule::Gt(b) => lower = Some(("gt", b, "greater than")),
            Rule::Gte(b) => lower = Some(("gte", b, "greater than or equal to")),
            Rule::Lt(b) => upper = Some(("lt", b, "less than")),
            Rule::Lte(b) => upper = Some(("lte", b, "less than or equal to")),
            Rule::In(list)
                if !list
                    .iter()
                    .any(|v| value.compare(v) == Some(std::cmp::Ordering::Equal)) =>
            {
                push(
                    out,
                    path,
                    N::id("in"),
                    format!("value must be in list {}", list_text(list)),
                );
            }
            Rule::NotIn(list)
                if list
                    .iter()
                    .any(|v| value.compare(v) == Some(std::cmp::Ordering::Equal)) =>
            {
                push(
                    out,
                    path,
                    N::id("not_in"),
                    format!("value must not be in list {}", list_text(list)),
                );
            }
            _ => {}
        }
    }
    let fits = |bound: Option<(&'static str, &Value, &'static str)>| match bound {
        None => true,
        Some((kind, b, _)) => match (kind, value.compare(b)) {
            ("gt", Some(o)) => o == Greater,
            ("gte", Some(o)) => o != Less,
            ("lt", Some(o)) => o == Less,
            ("lte", Some(o)) => o != Greater,
            _ => false,
        },
    };
    if fits(lower) && fits(upper) {
        return;
    }
    let (id, message) = match (lower, upper) {
        (Some((l, lb, lw)), Some((u, ub, uw))) => (
            N::id(&format!("{l}_{u}")),
            format!("value must be {lw} {lb} and {uw} {ub}"),
        ),
        (Some((k, b, w)), None) | (None, Some((k, b, w))) => {
            (N::id(k), format!("value must be {w} {b}"))
        }
        (None, None) => return,
    };
    push(out, path, id, message);
}

impl<T: RuleTarget> RuleTarget for Option<T> {
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
        match self {
            Some(value) => value.check(rules, path, out),
            None if rules.iter().any(|r| matches!(r, Rule::Required)) => {
                let (id, message) = T::missing();
                push(out, path, id, message.to_owned());
            }
            None => {}
        }
    }
}

impl<T: RuleTarget> RuleTarget for Box<T> {
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
        (**self).check(rules, path, out)
    }
    fn missing() -> (&'static str, &'static str) {
        T::missing()
    }
}

impl<T: RuleTarget + PartialEq> RuleTarget for Vec<T> {
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
        let mut items: &'static [Rule] = &[];
        for rule in rules {
            match rule {
                Rule::MinItems(n) if self.len() < *n => push(
                    out,
                    path,
                    "repeated.min_items",
                    format!("value must contain at least {n} item(s)"),
                ),
                Rule::MaxItems(n) if self.len() > *n => push(
                    out,
                    path,
                    "repeated.max_items",
                    format!("value must contain no more than {n} item(s)"),
                ),
                Rule::Unique if self.iter().enumerate().any(|(i, a)| self[..i].contains(a)) => {
                    push(
                        out,
                        path,
                        "repeated.unique",
                        "repeated value must contain unique items".to_owned(),
                    )
                }
                Rule::Items(r) => items = r,
                _ => {}
            }
        }
        for (i, item) in self.iter().enumerate() {
            item.check(items, &path.index(i), out);
        }
    }
}

impl<K, V, S> RuleTarget for HashMap<K, V, S>
where
    K: RuleTarget + Debug,
    V: RuleTarget,
{
    fn check(&self, rules: &'static [Rule], path: &Path<'_>, out: &mut Violations) {
        let (mut keys, mut values): (&'static [Rule], &'static [Rule]) = (&[], &[]);
        for rule in rules {
            match rule {
                Rule::MinPairs(n) if self.len() < *n => push(
                    out,
                    path,
                    "map.min_pairs",
                    format!("map must be at least {n} entries"),
                ),
                Rule::MaxPairs(n) if self.len() > *n => push(
                    out,
                    path,
                    "map.max_pairs",
                    format!("map must be at most {n} entries"),
                ),
                Rule::Keys(r) => keys = r,
                Rule::Values(r) => values = r,
                _ => {}
            }
        }
        for (key, value) in self {
            let at = path.key(key);
            key.check(keys, &at, out);
            value.check(values, &at, out);
        }
    }
}

macro_rules! no_rules {
    ($($ty:ty),*) => {$(
        impl RuleTarget for $ty {
            fn check(&self, _: &'static [Rule], _: &Path<'_>, _: &mut Violations) {}
        }
    )*};
}

no_rules!(prost_types::Timestamp, prost_types::Duration);

/// Finds a field type's [`RuleTarget`] impl where one exists: the generated check
/// calls `(&&RulesProbe::<T>::new()).kratos_rules(value, path, out)` on fields
/// without rules, so the messages inside a field are checked too and any other
/// type is passed over.
pub struct RulesProbe<T>(std::marker::PhantomData<fn() -> T>);

impl<T> RulesProbe<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Default for RulesProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe's answer when the type has rules to check.
pub trait ViaRules<T> {
    /// Checks `value` and what it holds.
    fn kratos_rules(&self, value: &T, path: &Path<'_>, out: &mut Violations);
}

impl<T: RuleTarget> ViaRules<T> for &RulesProbe<T> {
    fn kratos_rules(&self, value: &T, path: &Path<'_>, out: &mut Violations) {
        value.check(&[], path, out)
    }
}

/// The probe's answer otherwise: nothing to check.
pub trait ViaNoRules<T> {
    /// Does nothing.
    fn kratos_rules(&self, value: &T, path: &Path<'_>, out: &mut Violations);
}

impl<T> ViaNoRules<T> for RulesProbe<T> {
    fn kratos_rules(&self, _: &T, _: &Path<'_>, _: &mut Violations) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(value: &str, rules: &'static [Rule]) -> Vec<&'static str> {
        let mut out = Violations::new();
        value
            .to_owned()
            .check(rules, &Path::ROOT.field("name"), &mut out);
        out.iter().map(|v| v.rule).collect()
    }

    #[test]
    fn lengths_count_characters_where_the_bytes_do_not_decide() {
        // 2 characters in 4 bytes: the byte length alone would pass min 3 and fail max 2.
        assert_eq!(broken("éé", &[Rule::MinLen(3)]), ["string.min_len"]);
        assert!(broken("éé", &[Rule::MaxLen(2)]).is_empty());
        assert!(broken("éé", &[Rule::MinLen(2)]).is_empty());
        assert_eq!(broken("ééé", &[Rule::MaxLen(2)]), ["string.max_len"]);
        // 4-byte characters: the count is the byte length over 4.
        assert!(broken("😀😀", &[Rule::MinLen(2), Rule::MaxLen(2)]).is_empty());
        assert_eq!(broken("😀", &[Rule::MinLen(2)]), ["string.min_len"]);
        assert_eq!(broken("", &[Rule::MinLen(1)]), ["string.min_len"]);
        assert!(broken("abc", &[Rule::MinLen(1), Rule::MaxLen(3)]).is_empty());
        assert_eq!(broken("abcd", &[Rule::MaxLen(3)]), ["string.max_len"]);
    }
}
