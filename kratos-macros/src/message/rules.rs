//! `#[rule(..)]` on message fields: parsed against the field's type (a rule that
//! does not fit the type is an error at the rule, saying what fits), and written
//! as `static` lists of `kratos_core::field_rules::Rule` that the generated
//! `check_rules` hands to the field's value.
//!
//! Syntax: `len(1..=64)` (also `len(1..)`, `len(..=64)`, `len(5)`), `min_len = 1`,
//! `max_len = 64`, `min_bytes`, `max_bytes`, `pattern = "^[a-z]+$"`, `prefix`,
//! `suffix`, `contains`, `not_contains`, `email`, `uri`, `uuid`, `ip`, `ipv4`,
//! `ipv6`, `gt`/`gte`/`lt`/`lte = N`, `in = [..]`, `not_in = [..]`, `required`,
//! `min_items`, `max_items`, `unique`, `items(..)`, `min_pairs`, `max_pairs`,
//! `keys(..)`, `values(..)`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, ExprRange, ExprUnary, Lit, RangeLimits, Type, UnOp};

/// What a field type is, as far as rules care.
#[derive(Clone)]
enum Shape {
    Str,
    Bytes,
    Int,
    Float,
    Bool,
    Option(Box<Shape>),
    List(Box<Shape>),
    Map(Box<Shape>, Box<Shape>),
    /// A message, enum, oneof or well-known type.
    Other,
}

fn shape(ty: &Type) -> Shape {
    let Type::Path(p) = ty else {
        return Shape::Other;
    };
    let Some(last) = p.path.segments.last() else {
        return Shape::Other;
    };
    let args: Vec<&Type> = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    match (last.ident.to_string().as_str(), args.as_slice()) {
        ("String", []) => Shape::Str,
        ("i32" | "i64" | "u32" | "u64", []) => Shape::Int,
        ("f32" | "f64", []) => Shape::Float,
        ("bool", []) => Shape::Bool,
        ("Vec", [Type::Path(p)]) if p.path.is_ident("u8") => Shape::Bytes,
        ("Vec", [inner]) => Shape::List(Box::new(shape(inner))),
        ("Option", [inner]) => Shape::Option(Box::new(shape(inner))),
        ("Box", [inner]) => shape(inner),
        ("HashMap" | "BTreeMap", [k, v]) => Shape::Map(Box::new(shape(k)), Box::new(shape(v))),
        _ => Shape::Other,
    }
}

impl Shape {
    /// The field, in words, for errors.
    fn what(&self) -> &'static str {
        match self {
            Shape::Str => "a `String`",
            Shape::Bytes => "bytes (`Vec<u8>`)",
            Shape::Int => "an integer",
            Shape::Float => "a floating-point number",
            Shape::Bool => "a `bool`",
            Shape::Option(_) => "an `Option`",
            Shape::List(_) => "a repeated field (`Vec<T>`)",
            Shape::Map(..) => "a map",
            Shape::Other => "a message, enum or oneof",
        }
    }

    /// The rules that fit, in words, for errors.
    fn fits(&self) -> String {
        match self {
            Shape::Str => "write `len(1..=64)`, `min_len`, `max_len`, `min_bytes`, `max_bytes`, `pattern`, `prefix`, `suffix`, `contains`, `not_contains`, `email`, `uri`, `uuid`, `ip`, `ipv4`, `ipv6`, `in` or `not_in`".to_owned(),
            Shape::Bytes => "write `len(..)`, `min_len` or `max_len` (counted in bytes)".to_owned(),
            Shape::Int | Shape::Float => "write `gt`, `gte`, `lt`, `lte`, `in` or `not_in`".to_owned(),
            Shape::Bool => "a `bool` takes no rules".to_owned(),
            Shape::Option(inner) => format!("write `required`, or a rule of the value inside: {}", inner.fits()),
            Shape::List(_) => "write `min_items`, `max_items`, `unique`, or rules for every item inside `items(..)`".to_owned(),
            Shape::Map(..) => "write `min_pairs`, `max_pairs`, or rules inside `keys(..)` and `values(..)`".to_owned(),
            Shape::Other => "a message is checked by the rules of its own fields; make the field `Option<..>` to write `required`".to_owned(),
        }
    }
}

/// The `static` items and the list expression of one field's rules.
pub(super) struct FieldRules {
    /// `static` items the list refers to (patterns, nested lists).
    pub(super) statics: Vec<TokenStream>,
    /// The field's own list, a `static` named by `list`.
    pub(super) list: syn::Ident,
}

/// Takes the `#[rule(..)]` attributes off a field.
pub(super) fn take(attrs: &mut Vec<Attribute>) -> Vec<Attribute> {
    let (rules, kept) = std::mem::take(attrs)
        .into_iter()
        .partition(|a| a.path().is_ident("rule"));
    *attrs = kept;
    rules
}

/// Parses a field's `#[rule(..)]` attributes against its type; `None` without any.
pub(super) fn field(
    attrs: &[Attribute],
    ty: &Type,
    index: usize,
) -> syn::Result<Option<FieldRules>> {
    if attrs.is_empty() {
        return Ok(None);
    }
    let shape = shape(ty);
    let mut ctx = Ctx {
        statics: Vec::new(),
        prefix: format!("__KRATOS_RULES_{index}"),
    };
    let mut rules = List::default();
    for attr in attrs {
        attr.parse_nested_meta(|meta| rule(meta, &shape, &mut ctx, &mut rules))?;
    }
    let list = ctx.list(rules.rules);
    Ok(Some(FieldRules {
        statics: ctx.statics,
        list,
    }))
}

/// One list of rules being parsed, and which protovalidate value each rule sets:
/// the `.proto` export writes each rule as a protovalidate option, which holds one
/// value per rule (one `min_len`, one format, one lower bound), so a list that sets
/// one twice is refused rather than exported as something else than it checks.
#[derive(Default)]
struct List {
    rules: Vec<TokenStream>,
    set: Vec<(&'static str, String)>,
}

impl List {
    fn push(&mut self, rule: TokenStream) {
        self.rules.push(rule);
    }

    /// Records that rule `name` sets protovalidate's `value`; an error at `meta`
    /// when an earlier rule of the list set it.
    fn set(&mut self, meta: &ParseNestedMeta, value: &'static str, name: &str) -> syn::Result<()> {
        if let Some((_, earlier)) = self.set.iter().find(|(v, _)| *v == value) {
            let what = if earlier == name {
                format!("`{name}` twice")
            } else {
                format!("`{earlier}` and `{name}`")
            };
            return Err(meta.error(format!(
                "{what} on one field: the exported `.proto` holds one {value} per field (protovalidate's rules), so keep one"
            )));
        }
        self.set.push((value, name.to_owned()));
        Ok(())
    }
}

/// The protovalidate value a rule sets, for every rule but `len` (whose form decides).
fn protovalidate_value(name: &str) -> Option<&'static str> {
    Some(match name {
        "email" | "uri" | "uuid" | "ip" | "ipv4" | "ipv6" => "format",
        "gt" | "gte" => "lower bound",
        "lt" | "lte" => "upper bound",
        "min_len" => "`min_len`",
        "max_len" => "`max_len`",
        "min_bytes" => "`min_bytes`",
        "max_bytes" => "`max_bytes`",
        "pattern" => "`pattern`",
        "prefix" => "`prefix`",
        "suffix" => "`suffix`",
        "contains" => "`contains`",
        "not_contains" => "`not_contains`",
        "in" => "`in` list",
        "not_in" => "`not_in` list",
        "required" => "`required`",
        "min_items" => "`min_items`",
        "max_items" => "`max_items`",
        "unique" => "`unique`",
        "items" => "`items` list",
        "min_pairs" => "`min_pairs`",
        "max_pairs" => "`max_pairs`",
        "keys" => "`keys` list",
        "values" => "`values` list",
        _ => return None,
    })
}

struct Ctx {
    statics: Vec<TokenStream>,
    prefix: String,
}

impl Ctx {
    fn name(&self) -> syn::Ident {
        format_ident!("{}_{}", self.prefix, self.statics.len())
    }

    /// A `static` list of rules; its name.
    fn list(&mut self, rules: Vec<TokenStream>) -> syn::Ident {
        let name = self.name();
        let n = rules.len();
        let r = quote!(::kratos::__private::field_rules);
        self.statics
            .push(quote!(static #name: [#r::Rule; #n] = [#(#rules),*];));
        name
    }
}

fn misfit(meta: &ParseNestedMeta, name: &str, shape: &Shape) -> syn::Error {
    meta.error(format!(
        "`{name}` does not fit {}: {}",
        shape.what(),
        shape.fits()
    ))
}

fn rule(meta: ParseNestedMeta, shape: &Shape, ctx: &mut Ctx, out: &mut List) -> syn::Result<()> {
    let r = quote!(::kratos::__private::field_rules::Rule);
    let Some(ident) = meta.path.get_ident() else {
        return Err(meta.error("write a rule such as `len(1..=64)`, `gte = 1` or `required`"));
    };
    let name = ident.to_string();
    // Rules of an `Option`'s value apply when it is set.
    if let Shape::Option(inner) = shape
        && name != "required"
    {
        return rule(meta, inner, ctx, out);
    }
    if let Some(value) = protovalidate_value(&name) {
        out.set(&meta, value, &name)?;
    }
    let fits = |shapes: &[fn(&Shape) -> bool]| shapes.iter().any(|f| f(shape));
    let is_str = |s: &Shape| matches!(s, Shape::Str);
    let is_bytes = |s: &Shape| matches!(s, Shape::Bytes);
    let is_num = |s: &Shape| matches!(s, Shape::Int | Shape::Float);
    match name.as_str() {
        "len" | "min_len" | "max_len" | "min_bytes" | "max_bytes" => {
            let bytes_only = name.ends_with("bytes");
            if !(is_str(shape) || (!bytes_only && is_bytes(shape))) {
                return Err(misfit(&meta, &name, shape));
            }
            if name == "len" {
                let content;
                syn::parenthesized!(content in meta.input);
                let expr: Expr = content.parse()?;
                match &expr {
                    Expr::Range(ExprRange {
                        start, end, limits, ..
                    }) => {
                        if let Some(start) = start {
                            out.set(&meta, "`min_len`", "len")?;
                            let n = Literal::usize_unsuffixed(count(start)?);
                            out.push(quote!(#r::MinLen(#n)));
                        }
                        if let Some(end) = end {
                            out.set(&meta, "`max_len`", "len")?;
                            let mut n = count(end)?;
                            if matches!(limits, RangeLimits::HalfOpen(_)) {
                                n = n.checked_sub(1).ok_or_else(|| {
                                    syn::Error::new_spanned(
                                        end,
                                        "an empty range: write `len(..=N)`",
                                    )
                                })?;
                            }
                            let n = Literal::usize_unsuffixed(n);
                            out.push(quote!(#r::MaxLen(#n)));
                        }
                    }
                    other => {
                        out.set(&meta, "`len`", "len")?;
                        let n = Literal::usize_unsuffixed(count(other)?);
                        out.push(quote!(#r::Len(#n)));
                    }
                }
            } else {
                let n = Literal::usize_unsuffixed(count(&meta.value()?.parse()?)?);
                out.push(match name.as_str() {
                    "min_len" => quote!(#r::MinLen(#n)),
                    "max_len" => quote!(#r::MaxLen(#n)),
                    "min_bytes" => quote!(#r::MinBytes(#n)),
                    _ => quote!(#r::MaxBytes(#n)),
                });
            }
        }
        "pattern" | "prefix" | "suffix" | "contains" | "not_contains" => {
            if !fits(&[is_str]) {
                return Err(misfit(&meta, &name, shape));
            }
            let text: syn::LitStr = meta.value()?.parse()?;
            out.push(match name.as_str() {
                "pattern" => {
                    if let Err(e) = regex::Regex::new(&text.value()) {
                        return Err(syn::Error::new_spanned(
                            &text,
                            format!("not a valid regular expression (the `regex` crate's syntax): {e}"),
                        ));
                    }
                    let pattern = ctx.name();
                    ctx.statics.push(quote!(static #pattern: ::kratos::__private::field_rules::Pattern = ::kratos::__private::field_rules::Pattern::new(#text);));
                    quote!(#r::Pattern(&#pattern))
                }
                "prefix" => quote!(#r::Prefix(#text)),
                "suffix" => quote!(#r::Suffix(#text)),
                "contains" => quote!(#r::Contains(#text)),
                _ => quote!(#r::NotContains(#text)),
            });
        }
        "email" | "uri" | "uuid" | "ip" | "ipv4" | "ipv6" => {
            if !fits(&[is_str]) {
                return Err(misfit(&meta, &name, shape));
            }
            let variant = format_ident!("{}", crate::case::upper_camel(&name));
            out.push(quote!(#r::#variant));
        }
        "gt" | "gte" | "lt" | "lte" => {
            if !fits(&[is_num]) {
                return Err(misfit(&meta, &name, shape));
            }
            let value = number(&meta.value()?.parse()?, shape)?;
            let variant = format_ident!("{}", crate::case::upper_camel(&name));
            out.push(quote!(#r::#variant(#value)));
        }
        "in" | "not_in" => {
            if !fits(&[is_num, is_str]) {
                return Err(misfit(&meta, &name, shape));
            }
            let list: syn::ExprArray = meta.value()?.parse()?;
            let values = list
                .elems
                .iter()
                .map(|e| match shape {
                    Shape::Str => match e {
                        Expr::Lit(ExprLit {
                            lit: Lit::Str(s), ..
                        }) => Ok(quote!(::kratos::__private::field_rules::Value::Str(#s))),
                        _ => Err(syn::Error::new_spanned(
                            e,
                            "a `String` field's list holds string literals",
                        )),
                    },
                    _ => number(e, shape),
                })
                .collect::<syn::Result<Vec<_>>>()?;
            let variant = if name == "in" {
                quote!(In)
            } else {
                quote!(NotIn)
            };
            out.push(quote!(#r::#variant(&[#(#values),*])));
        }
        "required" => {
            if !matches!(shape, Shape::Option(_)) {
                return Err(meta.error(format!(
                    "`required` fits an `Option<..>` field (a message, a oneof or an optional value); this field is {} and always set: {}",
                    shape.what(),
                    shape.fits()
                )));
            }
            out.push(quote!(#r::Required));
        }
        "min_items" | "max_items" | "unique" | "items" => {
            let Shape::List(inner) = shape else {
                return Err(misfit(&meta, &name, shape));
            };
            match name.as_str() {
                "unique" => out.push(quote!(#r::Unique)),
                "items" => {
                    let list = nested(&meta, inner, ctx)?;
                    out.push(quote!(#r::Items(&#list)));
                }
                _ => {
                    let n = Literal::usize_unsuffixed(count(&meta.value()?.parse()?)?);
                    out.push(if name == "min_items" {
                        quote!(#r::MinItems(#n))
                    } else {
                        quote!(#r::MaxItems(#n))
                    });
                }
            }
        }
        "min_pairs" | "max_pairs" | "keys" | "values" => {
            let Shape::Map(key, value) = shape else {
                return Err(misfit(&meta, &name, shape));
            };
            match name.as_str() {
                "keys" => {
                    let list = nested(&meta, key, ctx)?;
                    out.push(quote!(#r::Keys(&#list)));
                }
                "values" => {
                    let list = nested(&meta, value, ctx)?;
                    out.push(quote!(#r::Values(&#list)));
                }
                _ => {
                    let n = Literal::usize_unsuffixed(count(&meta.value()?.parse()?)?);
                    out.push(if name == "min_pairs" {
                        quote!(#r::MinPairs(#n))
                    } else {
                        quote!(#r::MaxPairs(#n))
                    });
                }
            }
        }
        _ => {
            return Err(meta.error(format!(
                "unknown rule `{name}`: for {} {}",
                shape.what(),
                shape.fits()
            )));
        }
    }
    Ok(())
}

/// `items(..)`, `keys(..)`, `values(..)`: the inner rules as their own static list.
fn nested(meta: &ParseNestedMeta, inner: &Shape, ctx: &mut Ctx) -> syn::Result<syn::Ident> {
    let mut rules = List::default();
    meta.parse_nested_meta(|m| rule(m, inner, ctx, &mut rules))?;
    Ok(ctx.list(rules.rules))
}

/// A length or count: a non-negative integer literal.
fn count(expr: &Expr) -> syn::Result<usize> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse(),
        other => Err(syn::Error::new_spanned(
            other,
            "write a count as an integer literal, such as `64`",
        )),
    }
}

/// A number bound or list entry, checked against the field's type.
fn number(expr: &Expr, shape: &Shape) -> syn::Result<TokenStream> {
    let v = quote!(::kratos::__private::field_rules::Value);
    let (negative, lit) = match expr {
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => (true, &**expr),
        other => (false, other),
    };
    match lit {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            let n: i128 = i.base10_parse()?;
            let n = Literal::i128_unsuffixed(if negative { -n } else { n });
            Ok(quote!(#v::Int(#n)))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) if matches!(shape, Shape::Float) => {
            let x: f64 = f.base10_parse()?;
            let x = Literal::f64_unsuffixed(if negative { -x } else { x });
            Ok(quote!(#v::Float(#x)))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Float(_), ..
        }) => Err(syn::Error::new_spanned(
            expr,
            "an integer field's bound is an integer literal, such as `1`",
        )),
        _ => Err(syn::Error::new_spanned(
            expr,
            "write the bound as a number literal, such as `1` or `-0.5`",
        )),
    }
}
