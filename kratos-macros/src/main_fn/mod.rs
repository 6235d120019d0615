//! `#[kratos::main]`: the program's entry point. The user's `async fn main` becomes
//! a function the start-up sequence (`kratos::__private::bootstrap::run`) calls
//! with the prepared `AppBuilder`.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = parse::main(args, input.clone())
        .and_then(validate::main)
        .map(|main| expand::main(&main));
    // A stand-in `fn main() {}` instead of the input: an `async fn main` left as
    // written would only add rustc's own complaint about async main.
    result.unwrap_or_else(|error| {
        let error = error.to_compile_error();
        quote::quote!(#error fn main() {})
    })
}
