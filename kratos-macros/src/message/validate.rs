//! Checking a message, enum or oneof before it is expanded: named fields, valid
//! unique field numbers, types with a protobuf mapping (those we can tell by
//! their spelling; any other type is checked by its `ProtoField` impl, with an
//! error at the field's type), a proto enum whose first value is 0.

use std::collections::BTreeMap;

use syn::{
    Expr, ExprLit, ExprUnary, Fields, GenericArgument, Ident, ItemEnum, ItemStruct, Lit,
    PathArguments, Type, UnOp,
};

use super::parse::{Args, Item};
use crate::errors::Errors;

/// A checked struct field.
pub(super) struct FieldModel {
    pub(super) ident: Ident,
    pub(super) ty: Type,
    /// The number written with `#[tag(N)]`; 0 means "after the previous field".
    pub(super) explicit: u32,
    pub(super) doc: String,
    /// The field's `#[rule(..)]` rules, when it has any.
    pub(super) rules: Option<super::rules::FieldRules>,
}

/// A checked message.
pub(super) struct Message {
    /// The struct with `#[tag]` attributes removed.
    pub(super) item: ItemStruct,
    pub(super) fields: Vec<FieldModel>,
    pub(super) args: Args,
}

/// A checked proto enum: each variant with its number.
pub(super) struct ProtoEnum {
    pub(super) item: ItemEnum,
    pub(super) values: Vec<(Ident, i32, String)>,
    pub(super) args: Args,
}

/// A checked oneof: each variant with the type it holds.
pub(super) struct Oneof {
    pub(super) item: ItemEnum,
    pub(super) variants: Vec<(Ident, Type, String)>,
}

/// What the attribute expands.
pub(super) enum Model {
    Message(Message),
    Enum(ProtoEnum),
    Oneof(Oneof),
}

const SUPPORTED: &str = "supported field types: String, bool, i32, i64, u32, u64, f32, f64, Vec<u8> (bytes), a #[kratos::message] struct or enum, prost_types::Timestamp / Duration, Vec<T> (repeated), Option<T> (optional, a message, or a oneof), HashMap<K, V> (map)";

/// Highest protobuf field number.
const MAX_NUMBER: u32 = 536_870_911;

/// `Wrapper<A, B>` -> ("Wrapper", [A, B]).
fn generic(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let types = args
        .args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    Some((last.ident.to_string(), types))
}

fn is_ident(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// A reason the type cannot be a field, when its spelling tells.
fn unsupported(ty: &Type) -> Option<String> {
    const PRIMITIVES: [&str; 9] = [
        "usize", "isize", "u8", "i8", "u16", "i16", "u128", "i128", "char",
    ];
    match ty {
        Type::Path(p) if p.qself.is_none() => {}
        Type::Reference(_) => {
            return Some(
                "a message owns its data: write `String` for `&str`, `Vec<T>` for `&[T]`"
                    .to_owned(),
            );
        }
        _ => return Some(SUPPORTED.to_owned()),
    }
    if let Some(name) = PRIMITIVES.iter().find(|n| is_ident(ty, n)) {
        return Some(format!(
            "`{name}` has no protobuf type: use i32, i64, u32, u64, f32, f64, bool or String"
        ));
    }
    if is_ident(ty, "str") {
        return Some("write `String`".to_owned());
    }
    let (name, args) = generic(ty)?;
    match (name.as_str(), args.as_slice()) {
        ("Vec", [inner]) if is_ident(inner, "u8") => None,
        ("Vec", [inner]) => match generic(inner) {
            Some((n, a)) if n == "Vec" && !(a.len() == 1 && is_ident(a[0], "u8")) => {
                Some("protobuf has no list of lists: wrap the inner list in a message".to_owned())
            }
            Some((n, _)) if n == "Option" || n == "HashMap" => Some(format!(
                "a repeated field holds values, not `{n}`: wrap it in a message"
            )),
            _ => unsupported(inner),
        },
        ("Option", [inner]) => match generic(inner) {
            Some((n, a)) if n == "Vec" && !(a.len() == 1 && is_ident(a[0], "u8")) => {
                Some("a repeated field is never absent, only empty: write `Vec<T>`".to_owned())
            }
            Some((n, _)) if n == "Option" || n == "HashMap" => Some(format!(
                "`Option<{n}<..>>` has no protobuf form: drop the outer `Option`"
            )),
            _ => unsupported(inner),
        },
        ("HashMap", [key, value]) => {
            if is_ident(key, "f32") || is_ident(key, "f64") || is_ident(key, "Vec") {
                Some("a map key is a String, bool or integer type".to_owned())
            } else {
                unsupported(key).or_else(|| match generic(value) {
                    Some((n, _)) if n == "Vec" || n == "Option" || n == "HashMap" => Some(format!(
                        "a map value cannot be `{n}<..>`: wrap it in a message"
                    )),
                    _ => unsupported(value),
                })
            }
        }
        ("Box", [inner]) => unsupported(inner),
        ("Vec" | "Option" | "HashMap" | "Box", _) => Some(SUPPORTED.to_owned()),
        _ => Some(format!("`{name}<..>` has no protobuf mapping; {SUPPORTED}")),
    }
}

fn check_derives(attrs: &[syn::Attribute], provided: &[&str], errors: &mut Errors) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(name) = meta.path.segments.last().map(|s| s.ident.to_string())
                && provided.contains(&name.as_str())
            {
                errors.at(
                    &meta.path,
                    format!("`#[kratos::message]` already implements `{name}`: remove it from the derive"),
                );
            }
            Ok(())
        });
    }
}

pub(super) fn model(args: Args, item: Item) -> syn::Result<Model> {
    match item {
        Item::Struct(item, tags, rules) => {
            if let Some(unprefixed) = &args.unprefixed {
                return Err(syn::Error::new(
                    unprefixed.span(),
                    "`unprefixed` names the values of an enum: remove it from this message",
                ));
            }
            message(args, item, tags, rules).map(Model::Message)
        }
        Item::Enum(item) => enumeration(args, item),
    }
}

fn message(
    args: Args,
    item: ItemStruct,
    tags: Vec<Option<syn::LitInt>>,
    rule_attrs: Vec<Vec<syn::Attribute>>,
) -> syn::Result<Message> {
    let mut errors = Errors::default();
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "a message cannot be generic: write one struct per concrete message",
        );
    }
    let named = match &item.fields {
        Fields::Named(named) => Some(named),
        _ => {
            errors.at(
                &item.ident,
                "a message has named fields: write `pub struct Name { pub field: String }`",
            );
            None
        }
    };
    check_derives(
        &item.attrs,
        &[
            "Clone",
            "PartialEq",
            "Debug",
            "Default",
            "Message",
            "Serialize",
            "Deserialize",
        ],
        &mut errors,
    );
    let mut fields = Vec::new();
    let mut used: BTreeMap<u32, Ident> = BTreeMap::new();
    for (index, ((field, tag_lit), rule_attrs)) in named
        .into_iter()
        .flat_map(|n| n.named.iter())
        .zip(&tags)
        .zip(&rule_attrs)
        .enumerate()
    {
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        let mut explicit = 0;
        if let Some(lit) = tag_lit {
            match lit.base10_parse::<u32>() {
                Ok(t @ 1..=MAX_NUMBER) if !(19_000..=19_999).contains(&t) => {
                    if let Some(first) = used.get(&t) {
                        errors.at(lit, format!("field number {t} is already used by `{first}`: pick another with `#[tag(N)]`"));
                    }
                    used.insert(t, ident.clone());
                    explicit = t;
                }
                _ => errors.at(lit, "a field number is from 1 to 536870911, outside 19000-19999 (reserved by protobuf)"),
            }
        }
        if let Some(reason) = unsupported(&field.ty) {
            errors.at(&field.ty, reason);
        }
        let rules = super::rules::field(rule_attrs, &field.ty, index).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        fields.push(FieldModel {
            ident,
            ty: field.ty.clone(),
            explicit,
            doc: crate::docs::of(&field.attrs),
            rules,
        });
    }
    errors.finish(Message { item, fields, args })
}

/// An enum value's number: an integer literal, possibly negated.
fn discriminant(expr: &Expr) -> Option<i32> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => discriminant(expr).map(|n: i32| -n),
        _ => None,
    }
}

fn enumeration(args: Args, item: ItemEnum) -> syn::Result<Model> {
    let mut errors = Errors::default();
    if !item.generics.params.is_empty() {
        errors.at(&item.generics, "a proto enum or oneof cannot be generic");
    }
    if item.variants.is_empty() {
        errors.at(
            &item.ident,
            "a proto enum needs at least one value, and its first is 0 (the default)",
        );
        return Err(errors.finish(()).unwrap_err());
    }
    let unit = item
        .variants
        .iter()
        .all(|v| matches!(v.fields, Fields::Unit));
    if unit {
        check_derives(
            &item.attrs,
            &[
                "Clone",
                "Copy",
                "PartialEq",
                "Eq",
                "Hash",
                "Debug",
                "Default",
                "Serialize",
                "Deserialize",
            ],
            &mut errors,
        );
        let mut values = Vec::new();
        let mut used: BTreeMap<i32, Ident> = BTreeMap::new();
        let mut next = 0i32;
        for (i, variant) in item.variants.iter().enumerate() {
            let number = match &variant.discriminant {
                Some((_, expr)) => match discriminant(expr) {
                    Some(n) => n,
                    None => {
                        errors.at(
                            expr,
                            "an enum value's number is an integer literal, like `= 3`",
                        );
                        next
                    }
                },
                None => next,
            };
            if i == 0 && number != 0 {
                errors.at(&variant.ident, "the first value of a proto3 enum is its default and must be 0: add a first variant like `Unspecified` or write `= 0`");
            }
            if let Some(first) = used.get(&number) {
                errors.at(&variant.ident, format!("number {number} is already used by `{first}`: give this value another with `= N`"));
            }
            used.insert(number, variant.ident.clone());
            next = number.saturating_add(1);
            values.push((
                variant.ident.clone(),
                number,
                crate::docs::of(&variant.attrs),
            ));
        }
        return errors.finish(Model::Enum(ProtoEnum { item, values, args }));
    }
    if args.package.is_some() || args.declared_names || args.unprefixed.is_some() {
        errors.at(
            &item.ident,
            "a oneof takes no arguments: it is written inside the messages that hold it",
        );
    }
    check_derives(
        &item.attrs,
        &["Clone", "PartialEq", "Debug", "Serialize", "Deserialize"],
        &mut errors,
    );
    let mut variants = Vec::new();
    for variant in &item.variants {
        if let Some((_, expr)) = &variant.discriminant {
            errors.at(
                expr,
                "a oneof's alternatives are numbered from the field that holds it: remove `= N`",
            );
        }
        match &variant.fields {
            Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                let ty = f.unnamed[0].ty.clone();
                let reason = match generic(&ty) {
                    Some((n, a)) if n == "Vec" && !(a.len() == 1 && is_ident(a[0], "u8")) => {
                        Some("a oneof alternative cannot be repeated: wrap the list in a message".to_owned())
                    }
                    Some((n, _)) if n == "Option" || n == "HashMap" => {
                        Some(format!("a oneof alternative cannot be `{n}<..>`: wrap it in a message"))
                    }
                    _ => unsupported(&ty),
                };
                if let Some(reason) = reason {
                    errors.at(&ty, reason);
                }
                variants.push((variant.ident.clone(), ty, crate::docs::of(&variant.attrs)));
            }
            _ => errors.at(
                variant,
                "every variant of a oneof holds one value, like `Name(String)` or `Circle(Circle)`; an enum whose variants hold nothing is a proto enum",
            ),
        }
    }
    errors.finish(Model::Oneof(Oneof { item, variants }))
}
