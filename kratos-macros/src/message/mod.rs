//! `#[kratos::message]`: a struct becomes a protobuf message and a serde type that
//! follows the protobuf JSON mapping, and a target for HTTP path and query binding;
//! a fieldless enum becomes a proto enum; an enum whose variants each hold a value
//! becomes a oneof. The wire and JSON rules per field type live in
//! `kratos_core::proto`; the expansion only lists the fields.

mod check;
mod expand;
mod expand_enum;
mod parse;
mod rules;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn entry(args: TokenStream, input: TokenStream) -> TokenStream {
    let result = (|| {
        let args = parse::args(args)?;
        let item = parse::item(input.clone())?;
        Ok(match validate::model(args, item)? {
            validate::Model::Message(m) => expand::message(&m),
            validate::Model::Enum(e) => expand_enum::proto_enum(&e),
            validate::Model::Oneof(o) => expand_enum::oneof(&o),
        })
    })();
    result.unwrap_or_else(|error: syn::Error| {
        crate::fallback::with_errors(error, input, &["tag", "rule"])
    })
}
