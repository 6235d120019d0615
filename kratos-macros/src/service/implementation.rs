//! `#[kratos::service]` on `impl Greeter for MyType`: the impl stays as written, and
//! `MyType` is registered with `inventory` so `#[kratos::main]` serves it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, LitStr, Path};

use super::parse::Args;
use crate::errors::Errors;

/// A checked implementation to register.
pub(super) struct Registration {
    item: ItemImpl,
    /// `path::to::GreeterServer`.
    server: Path,
    /// The key the value is scanned from, or `None` for `Default`.
    config: Option<LitStr>,
}

pub(super) fn validate(args: Args, item: ItemImpl) -> syn::Result<Registration> {
    let mut errors = Errors::default();
    if let Some(package) = &args.package {
        errors.at(
            package,
            "`package` belongs on the service trait; on an impl write nothing, or `config = \"key\"`",
        );
    }
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "a generic impl cannot be built at start-up: annotate an impl for a concrete type, or add `GreeterServer::new(value)` by hand",
        );
    }
    let server = match &item.trait_ {
        None => {
            errors.at(
                &item.self_ty,
                "`#[kratos::service]` on an impl needs the trait: write `impl Greeter for MyType`",
            );
            None
        }
        Some((path, _)) => {
            let mut server = path.clone();
            if let Some(last) = server.segments.last_mut() {
                last.ident = format_ident!("{}Server", last.ident);
                if !last.arguments.is_empty() {
                    errors.at(&last.arguments, "a service trait has no generic arguments");
                }
            }
            Some(server)
        }
    };
    let registration = server.map(|server| Registration {
        item,
        server,
        config: args.config,
    });
    errors.finish(())?;
    registration.ok_or_else(|| {
        syn::Error::new(
            proc_macro2::Span::call_site(),
            "unreachable: reported above",
        )
    })
}

pub(super) fn expand(registration: &Registration) -> TokenStream {
    let Registration {
        item,
        server,
        config,
    } = registration;
    let ty = &item.self_ty;
    let type_name = quote!(#ty).to_string().replace(' ', "");
    let build = match config {
        // Spanned at the type so a missing `Default` is reported on `impl Greeter for MyType`.
        None => {
            quote_spanned!(ty.span()=> ::kratos::__private::ServiceRegistration::default_value::<#ty>())
        }
        Some(key) => quote!(::kratos::__private::from_config::<#ty>(config, #key)?),
    };
    quote! {
        #item

        const _: () = {
            fn build(
                config: &::kratos::__private::Config,
            ) -> ::core::result::Result<::std::boxed::Box<dyn ::kratos::__private::Service>, ::kratos::__private::Error> {
                let _ = config;
                let value = #build;
                ::core::result::Result::Ok(::std::boxed::Box::new(#server::new(value)))
            }

            ::kratos::__private::inventory::submit! {
                ::kratos::__private::ServiceRegistration {
                    descriptor: #server::<#ty>::DESCRIPTOR,
                    implementation: #type_name,
                    build,
                }
            }

            #[automatically_derived]
            impl ::kratos::__private::IntoService<#server<#ty>> for #ty {
                fn into_service(self) -> ::std::boxed::Box<dyn ::kratos::__private::Service> {
                    ::std::boxed::Box::new(#server::new(self))
                }
            }
        };
    }
}
