//! Parsing `#[kratos::middleware(global, order = N)]` and its item.

use proc_macro2::TokenStream;
use syn::LitInt;
use syn::parse::Parser;

/// The attribute's arguments.
#[derive(Default)]
pub(super) struct Args {
    /// `global`: registered for every server `#[kratos::main]` builds.
    pub(super) global: Option<syn::Ident>,
    /// `order = N`: where a global middleware sits among the others (lower runs outer).
    pub(super) order: Option<LitInt>,
}

/// A function or an `impl` block.
pub(super) enum Item {
    Fn(syn::ItemFn),
    Impl(syn::ItemImpl),
}

pub(super) fn args(tokens: TokenStream) -> syn::Result<Args> {
    let mut args = Args::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("global") {
            args.global = meta.path.get_ident().cloned();
            Ok(())
        } else if meta.path.is_ident("order") {
            args.order = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument: write `#[kratos::middleware]`, or `#[kratos::middleware(global)]` (optionally `order = 10`) to install it on every server"))
        }
    });
    parser.parse2(tokens)?;
    Ok(args)
}

pub(super) fn item(input: TokenStream) -> syn::Result<Item> {
    match syn::parse2::<syn::Item>(input)? {
        syn::Item::Fn(f) => Ok(Item::Fn(f)),
        syn::Item::Impl(i) => Ok(Item::Impl(i)),
        other => Err(syn::Error::new_spanned(
            other,
            "`#[kratos::middleware]` goes on `async fn name(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error>` or on `impl Middleware for Type`",
        )),
    }
}
