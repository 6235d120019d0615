//! `#[kratos::message]`: a struct becomes a protobuf message (prost), a serde type
//! with protobuf's JSON names, and a target for HTTP path and query binding.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = (|| {
        if !args.is_empty() {
            return Err(syn::Error::new_spanned(
                &args,
                "`#[kratos::message]` takes no arguments: set field numbers with `#[tag(N)]` on fields",
            ));
        }
        let item = parse::message(input.clone())?;
        let message = validate::message(item)?;
        Ok(expand::message(&message))
    })();
    result.unwrap_or_else(|error: syn::Error| crate::fallback::with_errors(error, input, &["tag"]))
}
