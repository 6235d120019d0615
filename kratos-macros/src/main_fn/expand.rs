//! Writing the real `fn main`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::validate::{Form, Main};

pub(super) fn main(main: &Main) -> TokenStream {
    let mut user = main.item.clone();
    let attrs = std::mem::take(&mut user.attrs);
    let vis = user.vis.clone();
    let ident = user.sig.ident.clone();
    user.sig.ident = format_ident!("__kratos_user_{}", ident);
    user.vis = syn::Visibility::Inherited;
    let user_ident = &user.sig.ident;
    let start = match main.form {
        Form::Builder => quote!(#user_ident),
        Form::Plain => quote!(|app: ::kratos::__private::AppBuilder| async move {
            #user_ident().await;
            ::core::result::Result::Ok(app.build())
        }),
    };
    quote! {
        #(#attrs)*
        #vis fn #ident() -> ::std::process::ExitCode {
            #user
            ::kratos::__private::bootstrap::run(
                ::core::option_env!("CARGO_BIN_NAME").unwrap_or(::core::env!("CARGO_PKG_NAME")),
                ::core::env!("CARGO_PKG_VERSION"),
                #start,
            )
        }
    }
}
