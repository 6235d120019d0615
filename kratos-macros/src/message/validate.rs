//! Checking a message: named fields, protobuf-mappable types, valid unique tags.

use std::collections::BTreeMap;

use syn::{Fields, GenericArgument, Ident, ItemStruct, PathArguments, Type};

use super::parse::Item;
use crate::errors::Errors;

/// How one field maps to protobuf.
pub(super) enum Kind {
    /// A scalar: the prost type name (`string`, `int64`, ...).
    Scalar(&'static str),
    /// `Vec<u8>`.
    Bytes,
    /// `Vec<T>` of a scalar.
    RepeatedScalar(&'static str),
    /// `Vec<M>` of a message.
    RepeatedMessage,
    /// `Option<T>` of a scalar (proto3 `optional`).
    OptionalScalar(&'static str),
    /// `Option<M>` or `Option<Box<M>>` of a message.
    Message,
    /// `HashMap<K, V>`: key scalar, value scalar or `message`.
    Map(&'static str, &'static str),
}

/// A checked field.
pub(super) struct FieldModel {
    pub(super) ident: Ident,
    pub(super) ty: Type,
    pub(super) tag: u32,
    pub(super) kind: Kind,
}

/// A checked message.
pub(super) struct Message {
    /// The struct with `#[tag]` attributes removed.
    pub(super) item: ItemStruct,
    pub(super) fields: Vec<FieldModel>,
}

const SUPPORTED: &str = "supported field types: String, bool, i32, i64, u32, u64, f32, f64, Vec<u8> (bytes), Vec<T> (repeated), Option<T> (optional scalar or nested message), HashMap<K, V> (map)";

/// The prost name of a scalar Rust type.
fn scalar(ty: &Type) -> Option<&'static str> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if !last.arguments.is_empty() {
        return None;
    }
    Some(match last.ident.to_string().as_str() {
        "String" => "string",
        "bool" => "bool",
        "i32" => "int32",
        "i64" => "int64",
        "u32" => "uint32",
        "u64" => "uint64",
        "f32" => "float",
        "f64" => "double",
        _ => return None,
    })
}

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

fn is_plain_path(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none())
}

/// Rust primitives with no protobuf counterpart.
fn is_unsupported_primitive(ty: &Type) -> bool {
    const PRIMITIVES: [&str; 9] = [
        "usize", "isize", "u8", "i8", "u16", "i16", "u128", "i128", "char",
    ];
    matches!(ty, Type::Path(p) if p.qself.is_none() && PRIMITIVES.iter().any(|n| p.path.is_ident(n)))
}

fn kind_of(ty: &Type) -> Result<Kind, String> {
    if let Some(s) = scalar(ty) {
        return Ok(Kind::Scalar(s));
    }
    match generic(ty) {
        Some((name, args)) if name == "Vec" && args.len() == 1 => {
            let inner = args[0];
            if matches!(inner, Type::Path(p) if p.path.is_ident("u8")) {
                Ok(Kind::Bytes)
            } else if let Some(s) = scalar(inner) {
                Ok(Kind::RepeatedScalar(s))
            } else if is_plain_path(inner) && generic(inner).is_none() {
                Ok(Kind::RepeatedMessage)
            } else {
                Err(format!("`Vec` holds a scalar or a message; {SUPPORTED}"))
            }
        }
        Some((name, args)) if name == "Option" && args.len() == 1 => {
            let inner = args[0];
            if let Some(s) = scalar(inner) {
                Ok(Kind::OptionalScalar(s))
            } else if matches!(generic(inner), Some((b, a)) if b == "Box" && a.len() == 1)
                || (is_plain_path(inner) && generic(inner).is_none())
            {
                Ok(Kind::Message)
            } else {
                Err(format!("`Option` holds a scalar or a message; {SUPPORTED}"))
            }
        }
        Some((name, args)) if name == "HashMap" && args.len() == 2 => {
            let key = match scalar(args[0]) {
                Some(k) if k != "float" && k != "double" => k,
                _ => return Err("a map key is a string, bool or integer type".to_owned()),
            };
            let value = match scalar(args[1]) {
                Some(v) => v,
                None if is_plain_path(args[1]) && generic(args[1]).is_none() => "message",
                None => return Err(format!("a map value is a scalar or a message; {SUPPORTED}")),
            };
            Ok(Kind::Map(key, value))
        }
        _ if is_unsupported_primitive(ty) => Err(format!(
            "`{}` has no protobuf type: use i32, i64, u32, u64, f32, f64, bool or String",
            quote::quote!(#ty)
        )),
        _ if is_plain_path(ty) && generic(ty).is_none() => Err(format!(
            "a nested message field is optional in protobuf: write `Option<{}>`",
            quote::quote!(#ty)
        )),
        _ => Err(SUPPORTED.to_owned()),
    }
}

pub(super) fn message(parsed: Item) -> syn::Result<Message> {
    let Item { item, tags } = parsed;
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
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = attr.parse_nested_meta(|meta| {
            let provided = ["Clone", "PartialEq", "Debug", "Default", "Message", "Serialize", "Deserialize"];
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
    let mut fields = Vec::new();
    let mut used: BTreeMap<u32, Ident> = BTreeMap::new();
    let mut next = 1u32;
    for (field, tag_lit) in named.into_iter().flat_map(|n| n.named.iter()).zip(&tags) {
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        let tag = match tag_lit {
            Some(lit) => match lit.base10_parse::<u32>() {
                Ok(t @ 1..=536_870_911) if !(19_000..=19_999).contains(&t) => t,
                _ => {
                    errors.at(lit, "a field number is from 1 to 536870911, outside 19000-19999 (reserved by protobuf)");
                    next
                }
            },
            None => next,
        };
        if let Some(first) = used.get(&tag) {
            let at = tag_lit
                .as_ref()
                .map(|l| quote::quote!(#l))
                .unwrap_or_else(|| quote::quote!(#ident));
            errors.at(
                at,
                format!(
                    "field number {tag} is already used by `{first}`: pick another with `#[tag(N)]`"
                ),
            );
        }
        used.insert(tag, ident.clone());
        next = tag + 1;
        match kind_of(&field.ty) {
            Ok(kind) => fields.push(FieldModel {
                ident,
                ty: field.ty.clone(),
                tag,
                kind,
            }),
            Err(message) => errors.at(&field.ty, message),
        }
    }
    errors.finish(Message { item, fields })
}
