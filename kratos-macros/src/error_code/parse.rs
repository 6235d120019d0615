//! Parsing `#[kratos::error_code(default = N)]` and the variants' `#[code]`,
//! `#[error]` and `#[metadata]` attributes.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{Attribute, ItemEnum, LitInt, LitStr};

/// The attributes of one variant, removed from it.
#[derive(Default)]
pub(super) struct VariantAttrs {
    pub(super) code: Option<LitInt>,
    pub(super) reason: Option<LitStr>,
    pub(super) message: Option<LitStr>,
    /// Fields marked `#[metadata]`, by index.
    pub(super) metadata_fields: Vec<usize>,
}

/// The enum with our attributes taken off, and what they said.
pub(super) struct Item {
    pub(super) item: ItemEnum,
    pub(super) variants: Vec<VariantAttrs>,
}

/// `default = N`, if given.
pub(super) fn args(tokens: TokenStream) -> syn::Result<Option<LitInt>> {
    let mut default = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("default") {
            default = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument: the only one is the default code, `default = 500`"))
        }
    });
    parser.parse2(tokens)?;
    Ok(default)
}

pub(super) fn item(input: TokenStream) -> syn::Result<Item> {
    let mut item = match syn::parse2::<syn::Item>(input)? {
        syn::Item::Enum(item) => item,
        other => {
            let head = match &other {
                syn::Item::Struct(s) => {
                    let (vis, token, ident) = (&s.vis, &s.struct_token, &s.ident);
                    quote::quote!(#vis #token #ident)
                }
                other => quote::quote!(#other),
            };
            return Err(syn::Error::new_spanned(
                head,
                "`#[kratos::error_code]` goes on an enum: write `pub enum UserError { #[code(404)] UserNotFound }`",
            ));
        }
    };
    let mut variants = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut fail = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for variant in &mut item.variants {
        let mut attrs = VariantAttrs::default();
        let mut kept: Vec<Attribute> = Vec::new();
        for attr in std::mem::take(&mut variant.attrs) {
            if attr.path().is_ident("code") {
                if let Err(e) = code_attr(&attr, &mut attrs) {
                    fail(e);
                }
            } else if attr.path().is_ident("error") {
                match attr.parse_args::<LitStr>() {
                    Ok(lit) => attrs.message = Some(lit),
                    Err(_) => fail(syn::Error::new_spanned(
                        &attr,
                        "write the message as one string literal, with `{field}` for a field: `#[error(\"user not found: {name}\")]`",
                    )),
                }
            } else {
                kept.push(attr);
            }
        }
        variant.attrs = kept;
        for (index, field) in variant.fields.iter_mut().enumerate() {
            let before = field.attrs.len();
            field.attrs.retain(|a| !a.path().is_ident("metadata"));
            if field.attrs.len() != before {
                attrs.metadata_fields.push(index);
            }
        }
        variants.push(attrs);
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(Item { item, variants }),
    }
}

/// `#[code(404)]`, `#[code(400, reason = "BAD_NAME")]` or `#[code(reason = "BAD_NAME")]`.
fn code_attr(attr: &Attribute, out: &mut VariantAttrs) -> syn::Result<()> {
    attr.parse_args_with(|input: syn::parse::ParseStream| {
        if input.peek(LitInt) {
            out.code = Some(input.parse()?);
            if input.is_empty() {
                return Ok(());
            }
            input.parse::<syn::Token![,]>()?;
        }
        if input.is_empty() {
            return Ok(());
        }
        let key: syn::Ident = input.parse()?;
        if key != "reason" {
            return Err(syn::Error::new(
                key.span(),
                "write `#[code(404)]` or `#[code(404, reason = \"USER_NOT_FOUND\")]`",
            ));
        }
        input.parse::<syn::Token![=]>()?;
        out.reason = Some(input.parse()?);
        Ok(())
    })
}
