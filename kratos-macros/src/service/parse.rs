//! Parsing the arguments of `#[kratos::service(...)]`.

use proc_macro2::TokenStream;
use syn::LitStr;
use syn::parse::Parser;

/// `package = "..."` (on a trait) and `config = "..."` (on an impl).
#[derive(Default)]
pub(super) struct Args {
    pub(super) package: Option<LitStr>,
    pub(super) config: Option<LitStr>,
}

pub(super) fn args(tokens: TokenStream) -> syn::Result<Args> {
    let mut args = Args::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("package") {
            args.package = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("config") {
            args.config = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error(
                "unknown argument: write `package = \"helloworld.v1\"` on a trait, or `config = \"key\"` on an impl",
            ))
        }
    });
    parser.parse2(tokens)?;
    Ok(args)
}
