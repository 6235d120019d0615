//! Parsing `#[kratos::main]` and the function it annotates.

use proc_macro2::TokenStream;
use syn::ItemFn;

pub(super) fn main(args: TokenStream, input: TokenStream) -> syn::Result<ItemFn> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            args,
            "`#[kratos::main]` takes no arguments: settings come from the config file given with `-conf`",
        ));
    }
    syn::parse2::<ItemFn>(input).map_err(|e| {
        syn::Error::new(
            e.span(),
            "`#[kratos::main]` goes on `async fn main(app: AppBuilder) -> kratos::Result<App>` or `async fn main()`",
        )
    })
}
