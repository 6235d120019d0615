//! Parsing a `#[kratos::message]` struct and its `#[tag(N)]` field attributes.

use proc_macro2::TokenStream;
use syn::{Attribute, Field, ItemStruct, LitInt};

/// A struct and, per field, its explicit tag if any.
pub(super) struct Item {
    pub(super) item: ItemStruct,
    /// One entry per field in declaration order: `#[tag(N)]` if written.
    pub(super) tags: Vec<Option<LitInt>>,
}

pub(super) fn message(input: TokenStream) -> syn::Result<Item> {
    let item = match syn::parse2::<syn::Item>(input)? {
        syn::Item::Struct(item) => item,
        other => {
            return Err(syn::Error::new_spanned(
                head(&other),
                "`#[kratos::message]` goes on a struct with named fields, like `pub struct HelloRequest { pub name: String }`",
            ));
        }
    };
    let mut item = item;
    let mut tags = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for field in item.fields.iter_mut() {
        match take_tag(field) {
            Ok(tag) => tags.push(tag),
            Err(e) => {
                tags.push(None);
                match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                }
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(Item { item, tags }),
    }
}

fn head(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Enum(e) => {
            let (vis, token, ident) = (&e.vis, &e.enum_token, &e.ident);
            quote::quote!(#vis #token #ident)
        }
        other => quote::quote!(#other),
    }
}

/// Removes `#[tag(N)]` from the field and returns N.
fn take_tag(field: &mut Field) -> syn::Result<Option<LitInt>> {
    let mut tag = None;
    let mut kept: Vec<Attribute> = Vec::new();
    for attr in std::mem::take(&mut field.attrs) {
        if attr.path().is_ident("tag") {
            let lit: LitInt = attr.parse_args().map_err(|_| {
                syn::Error::new_spanned(&attr, "write the field number as `#[tag(3)]`")
            })?;
            if tag.is_some() {
                return Err(syn::Error::new_spanned(
                    &attr,
                    "a field has one `#[tag(N)]`",
                ));
            }
            tag = Some(lit);
        } else {
            kept.push(attr);
        }
    }
    field.attrs = kept;
    Ok(tag)
}
