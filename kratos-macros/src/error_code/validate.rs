//! Checking an error-code enum: codes in range, unique reasons, messages that
//! name existing fields.

use std::collections::BTreeMap;

use syn::{Fields, Ident, ItemEnum, LitInt, LitStr, Type};

use super::parse::Item;
use crate::case::{screaming_snake, snake};
use crate::errors::Errors;

/// How a message or metadata refers to a field.
#[derive(Clone)]
pub(super) enum FieldRef {
    Named(Ident),
    Index(usize),
}

impl FieldRef {
    /// The local a match arm binds the field to.
    pub(super) fn binding(&self) -> Ident {
        match self {
            FieldRef::Named(ident) => ident.clone(),
            FieldRef::Index(i) => quote::format_ident!("_{}", i),
        }
    }

    /// The metadata key of the field.
    pub(super) fn key(&self) -> String {
        match self {
            FieldRef::Named(ident) => ident.to_string().trim_start_matches("r#").to_owned(),
            FieldRef::Index(i) => i.to_string(),
        }
    }
}

/// A checked variant.
pub(super) struct Variant {
    pub(super) ident: Ident,
    /// `user_not_found`, for `is_user_not_found`.
    pub(super) snake: String,
    pub(super) code: i32,
    pub(super) reason: String,
    /// The `#[error]` format string, `{0}` rewritten to `{_0}`, and the fields it uses.
    pub(super) message: Option<(LitStr, Vec<FieldRef>)>,
    /// Fields sent as metadata.
    pub(super) metadata: Vec<FieldRef>,
    pub(super) shape: Shape,
}

/// The fields of a variant.
pub(super) enum Shape {
    Unit,
    Named(Vec<(Ident, Type)>),
    Unnamed(Vec<Type>),
}

impl Shape {
    fn lookup(&self, name: &str) -> Option<FieldRef> {
        match self {
            Shape::Named(fields) => fields
                .iter()
                .find(|(i, _)| i == name || i.to_string().trim_start_matches("r#") == name)
                .map(|(i, _)| FieldRef::Named(i.clone())),
            Shape::Unnamed(fields) => name
                .parse::<usize>()
                .ok()
                .filter(|i| *i < fields.len())
                .map(FieldRef::Index),
            Shape::Unit => None,
        }
    }

    /// True when every field is a `String`, so the variant can be rebuilt from metadata.
    pub(super) fn all_strings(&self) -> bool {
        let is_string =
            |t: &Type| matches!(t, Type::Path(p) if p.qself.is_none() && p.path.is_ident("String"));
        match self {
            Shape::Unit => true,
            Shape::Named(fields) => fields.iter().all(|(_, t)| is_string(t)),
            Shape::Unnamed(fields) => fields.iter().all(is_string),
        }
    }
}

/// A checked enum.
pub(super) struct Enumeration {
    pub(super) item: ItemEnum,
    pub(super) variants: Vec<Variant>,
}

fn code_of(lit: &LitInt, errors: &mut Errors) -> Option<i32> {
    match lit.base10_parse::<i32>() {
        Ok(code @ 100..=599) => Some(code),
        _ => {
            errors.at(
                lit,
                "a code is an HTTP status from 100 to 599, like `#[code(404)]`",
            );
            None
        }
    }
}

/// The field names in a format string; `{{` and `}}` are literal braces.
fn placeholders(text: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
            }
            '{' => {
                let rest = &text[i + 1..];
                let end = rest
                    .find('}')
                    .ok_or("unclosed `{` in the message: write `{{` for a literal brace")?;
                let name = rest[..end].split(':').next().unwrap_or("").trim();
                if name.is_empty() {
                    return Err(
                        "name the field in each placeholder, like `{name}` or `{0}`".to_owned()
                    );
                }
                names.push(name.to_owned());
                for _ in 0..end + 1 {
                    chars.next();
                }
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
            }
            '}' => {
                return Err(
                    "unmatched `}` in the message: write `}}` for a literal brace".to_owned(),
                );
            }
            _ => {}
        }
    }
    Ok(names)
}

/// `{0}` -> `{_0}`, so positional fields can be named bindings in the format string.
fn rewrite_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous = '\0';
    for c in text.chars() {
        if previous == '{' && c.is_ascii_digit() && !out.ends_with("{{") {
            out.push('_');
        }
        out.push(c);
        previous = c;
    }
    out
}

pub(super) fn enumeration(default: Option<LitInt>, parsed: Item) -> syn::Result<Enumeration> {
    let Item {
        item,
        variants: attrs,
    } = parsed;
    let mut errors = Errors::default();
    let default_code = default
        .as_ref()
        .and_then(|lit| code_of(lit, &mut errors))
        .unwrap_or(500);
    if !item.generics.params.is_empty() {
        errors.at(&item.generics, "an error-code enum cannot be generic");
    }
    let mut reasons: BTreeMap<String, Ident> = BTreeMap::new();
    let mut variants = Vec::new();
    for (variant, attrs) in item.variants.iter().zip(attrs) {
        let shape = match &variant.fields {
            Fields::Unit => Shape::Unit,
            Fields::Named(named) => Shape::Named(
                named
                    .named
                    .iter()
                    .filter_map(|f| Some((f.ident.clone()?, f.ty.clone())))
                    .collect(),
            ),
            Fields::Unnamed(unnamed) => {
                Shape::Unnamed(unnamed.unnamed.iter().map(|f| f.ty.clone()).collect())
            }
        };
        let code = attrs
            .code
            .as_ref()
            .and_then(|lit| code_of(lit, &mut errors))
            .unwrap_or(default_code);
        let reason = match &attrs.reason {
            Some(lit) if lit.value().is_empty() => {
                errors.at(
                    lit,
                    "a reason is a non-empty UPPER_SNAKE name, like `reason = \"USER_NOT_FOUND\"`",
                );
                String::new()
            }
            Some(lit) => lit.value(),
            None => screaming_snake(&variant.ident.to_string()),
        };
        if let Some(first) = reasons.get(&reason) {
            let at = attrs
                .reason
                .as_ref()
                .map(|l| quote::quote!(#l))
                .unwrap_or_else(|| {
                    let ident = &variant.ident;
                    quote::quote!(#ident)
                });
            errors.at(
                at,
                format!("reason `{reason}` is already used by `{first}`: give this variant another name or `#[code(..., reason = \"...\")]`"),
            );
        } else {
            reasons.insert(reason.clone(), variant.ident.clone());
        }
        let message = attrs.message.as_ref().and_then(|lit| match placeholders(&lit.value()) {
            Err(why) => {
                errors.at(lit, why);
                None
            }
            Ok(names) => {
                let mut used = Vec::new();
                for name in names {
                    match shape.lookup(&name) {
                        Some(field) => used.push(field),
                        None => errors.at(
                            lit,
                            format!(
                                "`{{{name}}}` names no field of `{}`: use one of its fields, like `{{{}}}`",
                                variant.ident,
                                match &shape {
                                    Shape::Named(f) => f.first().map(|(i, _)| i.to_string()).unwrap_or_default(),
                                    Shape::Unnamed(_) => "0".to_owned(),
                                    Shape::Unit => String::new(),
                                }
                            ),
                        ),
                    }
                }
                Some((LitStr::new(&rewrite_positions(&lit.value()), lit.span()), used))
            }
        });
        let metadata = attrs
            .metadata_fields
            .iter()
            .filter_map(|&i| match &shape {
                Shape::Named(fields) => fields
                    .get(i)
                    .map(|(ident, _)| FieldRef::Named(ident.clone())),
                Shape::Unnamed(_) => Some(FieldRef::Index(i)),
                Shape::Unit => None,
            })
            .collect();
        variants.push(Variant {
            ident: variant.ident.clone(),
            snake: snake(&variant.ident.to_string()),
            code,
            reason,
            message,
            metadata,
            shape,
        });
    }
    errors.finish(Enumeration { item, variants })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_escapes_skipped() {
        assert_eq!(
            placeholders("user {name} not {{found}} {0:?}").unwrap(),
            ["name", "0"]
        );
        assert!(placeholders("{}").is_err());
        assert!(placeholders("a { b").is_err());
        assert!(placeholders("a } b").is_err());
    }

    #[test]
    fn positions_become_bindings() {
        assert_eq!(
            rewrite_positions("{0} and {1:?} but {{0}}"),
            "{_0} and {_1:?} but {{0}}"
        );
    }
}
