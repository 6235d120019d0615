//! `#[kratos::error_code]`: an enum whose variants are kratos errors, as Go kratos
//! generates from a proto enum: a code and reason per variant, a message from
//! `#[error("...")]`, `is_<variant>` tests and a way back from a received error.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = parse::args(args)
        .and_then(|default| Ok((default, parse::item(input.clone())?)))
        .and_then(|(default, item)| validate::enumeration(default, item))
        .map(|model| expand::enumeration(&model));
    result.unwrap_or_else(|error| {
        crate::fallback::with_errors(error, input, &["code", "error", "metadata"])
    })
}
