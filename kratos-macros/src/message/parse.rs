//! Parsing `#[kratos::message(...)]`: its arguments, the struct or enum it is on,
//! and the `#[tag(N)]` and `#[rule(..)]` field attributes.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{Attribute, Field, ItemEnum, ItemStruct, LitInt, LitStr};

/// `package = "..."` and `declared_names`.
#[derive(Default)]
pub(super) struct Args {
    /// The proto package the message is exported in.
    pub(super) package: Option<LitStr>,
    /// Write declared (snake_case) names in JSON instead of lowerCamel.
    pub(super) declared_names: bool,
    /// On an enum: its values are named without the enum's prefix (`RED`, not
    /// `COLOR_RED`), as protos written before that convention name them.
    pub(super) unprefixed: Option<syn::Ident>,
}

/// What the attribute is on.
pub(super) enum Item {
    /// A struct (a message), with each field's `#[tag(N)]` if written and its
    /// `#[rule(..)]` attributes.
    Struct(ItemStruct, Vec<Option<LitInt>>, Vec<Vec<Attribute>>),
    /// An enum: fieldless (a proto enum) or with one value per variant (a oneof).
    Enum(ItemEnum),
}

pub(super) fn args(tokens: TokenStream) -> syn::Result<Args> {
    let mut args = Args::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("package") {
            args.package = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("declared_names") {
            args.declared_names = true;
            Ok(())
        } else if meta.path.is_ident("unprefixed") {
            args.unprefixed = meta.path.get_ident().cloned();
            Ok(())
        } else {
            Err(meta.error(
                "unknown argument: write `package = \"helloworld.v1\"`, `declared_names`, or `unprefixed` on an enum; set field numbers with `#[tag(N)]` on fields",
            ))
        }
    });
    parser.parse2(tokens)?;
    Ok(args)
}

pub(super) fn item(input: TokenStream) -> syn::Result<Item> {
    match syn::parse2::<syn::Item>(input)? {
        syn::Item::Struct(mut item) => {
            let mut tags = Vec::new();
            let mut rules = Vec::new();
            let mut errors: Option<syn::Error> = None;
            for field in item.fields.iter_mut() {
                rules.push(super::rules::take(&mut field.attrs));
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
                None => Ok(Item::Struct(item, tags, rules)),
            }
        }
        syn::Item::Enum(item) => Ok(Item::Enum(item)),
        other => Err(syn::Error::new_spanned(
            other,
            "`#[kratos::message]` goes on a struct with named fields (a message) or an enum (a proto enum or a oneof)",
        )),
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
