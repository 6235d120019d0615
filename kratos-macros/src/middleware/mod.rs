//! `#[kratos::middleware]`: an `async fn (ctx, req, next)` becomes a middleware
//! value of the same name; on `impl Middleware for Type` it lets `handle` be
//! written as an `async fn`. With `global` the middleware is registered through
//! `inventory` for `#[kratos::main]` to install on every server.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = parse::args(args)
        .and_then(|args| Ok((args, parse::item(input.clone())?)))
        .and_then(|(args, item)| validate::middleware(args, item))
        .map(|model| expand::middleware(&model));
    result.unwrap_or_else(|error| crate::fallback::with_errors(error, input, &[]))
}
