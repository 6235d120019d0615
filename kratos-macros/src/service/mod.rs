//! `#[kratos::service]`: on a trait, writes the HTTP and gRPC adapters, the client
//! and the descriptors; on `impl Trait for Type`, registers `Type` for `#[kratos::main]`.
//!
//! A trait goes through `parse` (the trait and its methods as written), `validate`
//! (one check per rule, building the model) and `expand`. Both first stages record
//! into one error list, so a trait with several mistakes shows them all.

mod expand;
mod implementation;
mod parse;
mod route;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = parse::item(input.clone()).and_then(|item| match item {
        parse::Item::Trait(item) => {
            let args = parse::args(args)?;
            let mut errors = Errors::default();
            let ast = parse::service(args, item, &mut errors);
            let service = validate::service(ast, &mut errors);
            errors
                .finish(service)
                .map(|service| expand::service(&service))
        }
        parse::Item::Impl(item) => parse::args(args)
            .and_then(|args| implementation::validate(args, item))
            .map(|registration| implementation::expand(&registration)),
    });
    result.unwrap_or_else(|error| {
        crate::fallback::with_errors(error, input, &["route", "middleware"])
    })
}
