//! What a macro emits beside its errors: the user's item without the helper
//! attributes only our macros understand (`#[route]`, `#[tag]`, `#[code]`, ...),
//! so the user reads our sentence and not a wall of "cannot find attribute".

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Attribute;

fn strip(attrs: &mut Vec<Attribute>, helpers: &[&str]) {
    attrs.retain(|a| !helpers.iter().any(|h| a.path().is_ident(h)));
}

fn strip_fields(fields: &mut syn::Fields, helpers: &[&str]) {
    for field in fields.iter_mut() {
        strip(&mut field.attrs, helpers);
    }
}

/// `input` with the `helpers` attributes removed from its members; the input itself
/// when it does not parse as an item.
pub(crate) fn item_without(input: TokenStream, helpers: &[&str]) -> TokenStream {
    let Ok(mut item) = syn::parse2::<syn::Item>(input.clone()) else {
        return input;
    };
    match &mut item {
        syn::Item::Trait(t) => {
            for member in &mut t.items {
                if let syn::TraitItem::Fn(f) = member {
                    strip(&mut f.attrs, helpers);
                }
            }
        }
        syn::Item::Struct(s) => strip_fields(&mut s.fields, helpers),
        syn::Item::Enum(e) => {
            for variant in &mut e.variants {
                strip(&mut variant.attrs, helpers);
                strip_fields(&mut variant.fields, helpers);
            }
        }
        _ => {}
    }
    item.into_token_stream()
}

/// Errors followed by the cleaned item.
pub(crate) fn with_errors(error: syn::Error, input: TokenStream, helpers: &[&str]) -> TokenStream {
    let error = error.to_compile_error();
    let item = item_without(input, helpers);
    quote::quote!(#error #item)
}
