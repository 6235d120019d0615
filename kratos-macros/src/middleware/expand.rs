//! Writing a middleware value and, for `global`, its registration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ImplItem;

use super::validate::{Middleware, Model};

pub(super) fn middleware(model: &Model) -> TokenStream {
    let boxed = quote!(
        ::kratos::__private::BoxFuture<
            'a,
            ::core::result::Result<::kratos::__private::Reply, ::kratos::__private::Error>,
        >
    );
    let signature = quote! {
        fn handle<'a>(
            &'a self,
            ctx: &'a mut ::kratos::__private::Context,
            req: ::kratos::__private::Request,
            next: ::kratos::__private::Next<'a>,
        ) -> #boxed
    };
    let (code, ty, name) = match &model.middleware {
        Middleware::Fn(f) => {
            let mut inner = f.clone();
            let name = f.sig.ident.clone();
            let vis = &f.vis;
            let attrs = &f.attrs;
            inner.attrs.clear();
            inner.vis = syn::Visibility::Inherited;
            inner.sig.ident = format_ident!("__kratos_middleware");
            let doc = format!("The `{name}` middleware.");
            let code = quote! {
                #(#attrs)*
                #[doc = #doc]
                #[allow(non_camel_case_types)]
                #[derive(Clone, Copy, Debug, Default)]
                #vis struct #name;

                #[automatically_derived]
                impl ::kratos::__private::Middleware for #name {
                    #signature {
                        #inner
                        ::std::boxed::Box::pin(__kratos_middleware(ctx, req, next))
                    }
                }
            };
            (code, quote!(#name), name.to_string())
        }
        Middleware::Impl { item, handle } => {
            let self_ty = &item.self_ty;
            let (impl_generics, _, where_clause) = item.generics.split_for_impl();
            let mut inherent = handle.clone();
            inherent.sig.ident = format_ident!("__kratos_handle");
            inherent.vis = syn::Visibility::Inherited;
            let others = item
                .items
                .iter()
                .filter(|i| !matches!(i, ImplItem::Fn(f) if f.sig.ident == "handle"));
            let attrs = &item.attrs;
            let code = quote! {
                impl #impl_generics #self_ty #where_clause {
                    #[doc(hidden)]
                    #inherent
                }

                #(#attrs)*
                impl #impl_generics ::kratos::__private::Middleware for #self_ty #where_clause {
                    #(#others)*

                    #signature {
                        ::std::boxed::Box::pin(self.__kratos_handle(ctx, req, next))
                    }
                }
            };
            let name = quote!(#self_ty).to_string().replace(' ', "");
            (
                code,
                quote!(<#self_ty as ::core::default::Default>::default()),
                name,
            )
        }
    };
    if !model.global {
        return code;
    }
    let order = model.order;
    let value = ty;
    quote! {
        #code

        const _: () = {
            fn build() -> ::std::sync::Arc<dyn ::kratos::__private::Middleware> {
                ::std::sync::Arc::new(#value)
            }

            ::kratos::__private::inventory::submit! {
                ::kratos::__private::MiddlewareRegistration { name: #name, order: #order, build }
            }
        };
    }
}
