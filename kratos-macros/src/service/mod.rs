//! `#[kratos::service]`: on a trait, writes the HTTP and gRPC adapters, the client
//! and the descriptors; on `impl Trait for Type`, registers `Type` for `#[kratos::main]`.

mod expand;
mod implementation;
mod parse;
mod route;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Trait(item)) => parse::args(args)
            .and_then(|args| validate::service(args, item))
            .map(|service| expand::service(&service)),
        Ok(syn::Item::Impl(item)) => parse::args(args)
            .and_then(|args| implementation::validate(args, item))
            .map(|registration| implementation::expand(&registration)),
        Ok(other) => Err(syn::Error::new_spanned(
            item_head(&other),
            "`#[kratos::service]` goes on a trait (`pub trait Greeter { .. }`) or on `impl Greeter for MyType { .. }`",
        )),
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|error| {
        crate::fallback::with_errors(error, input, &["route", "middleware"])
    })
}

/// The tokens an error about a whole item points at: its first line, not its body.
fn item_head(item: &syn::Item) -> TokenStream {
    use quote::ToTokens;
    match item {
        syn::Item::Struct(s) => {
            let (vis, token, ident) = (&s.vis, &s.struct_token, &s.ident);
            quote::quote!(#vis #token #ident)
        }
        syn::Item::Enum(e) => {
            let (vis, token, ident) = (&e.vis, &e.enum_token, &e.ident);
            quote::quote!(#vis #token #ident)
        }
        syn::Item::Fn(f) => f.sig.to_token_stream(),
        other => other.to_token_stream(),
    }
}
