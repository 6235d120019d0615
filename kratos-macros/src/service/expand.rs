//! Writing the code of a checked service trait.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, TraitItem, Type};

use super::route::{Body, Route};
use super::validate::{Method, Service, Shape};
use crate::case::lower_camel;

pub(super) fn service(service: &Service) -> TokenStream {
    let name = &service.item.ident;
    let vis = &service.item.vis;
    let full_name = format!("{}.{}", service.package, name);
    let server = format_ident!("{}Server", name);
    let client = format_ident!("{}Client", name);
    let table = format_ident!("__kratos_{}", name);
    let markers: Vec<Ident> = service.methods.iter().map(|m| marker(name, m)).collect();

    let trait_def = trait_definition(service);
    let methods = service
        .methods
        .iter()
        .zip(&markers)
        .map(|(m, marker)| method(name, &full_name, vis, m, marker));
    let package = &service.package;
    let name_str = name.to_string();
    let service_doc = crate::docs::of(&service.item.attrs);
    let client_methods = service
        .methods
        .iter()
        .zip(&markers)
        .map(|(m, marker)| client_method(m, marker));
    let entries = service.methods.iter().zip(&markers).map(|(m, marker)| {
        if m.shape == Shape::Unary {
            quote!(::kratos::__private::MethodEntry::unary::<#marker>())
        } else {
            quote!(::kratos::__private::MethodEntry::streaming::<#marker>())
        }
    });
    let server_doc =
        format!("Serves a [`{name}`] implementation over HTTP and gRPC (`{full_name}`).");
    let client_doc =
        format!("Calls a remote `{full_name}` over HTTP or gRPC; implements [`{name}`].");

    quote! {
        #trait_def
        #(#methods)*

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis enum #table {}

        #[automatically_derived]
        impl<T: #name> ::kratos::__private::ServiceTable<T> for #table {
            const DESCRIPTOR: &'static ::kratos::__private::ServiceDescriptor = &::kratos::__private::ServiceDescriptor {
                package: #package,
                name: #name_str,
                full_name: #full_name,
                methods: &[#(<#markers as ::kratos::__private::Method>::DESCRIPTOR),*],
                doc: #service_doc,
            };
            const METHODS: &'static [::kratos::__private::MethodEntry<T>] = &[#(#entries),*];
        }

        #[doc = #server_doc]
        #vis type #server<T> = ::kratos::__private::ServiceServer<#table, T>;

        #[doc = #client_doc]
        #vis type #client = ::kratos::__private::ServiceClient<#table>;

        #[automatically_derived]
        impl #name for ::kratos::__private::ServiceClient<#table> {
            #(#client_methods)*
        }
    }
}

fn marker(service: &Ident, method: &Method) -> Ident {
    Ident::new(
        &format!("__kratos_{}_{}", service, method.rpc),
        method.ident.span(),
    )
}

/// The trait as written, with each `async fn` turned into `fn -> impl Future + Send`
/// so servers can spawn its futures, and `Send + Sync + 'static` as supertraits.
fn trait_definition(service: &Service) -> TokenStream {
    let mut item = service.item.clone();
    let extra: [syn::TypeParamBound; 3] = [
        syn::parse_quote!(::core::marker::Send),
        syn::parse_quote!(::core::marker::Sync),
        syn::parse_quote!('static),
    ];
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    item.supertraits.extend(extra);
    for trait_item in &mut item.items {
        if let TraitItem::Fn(func) = trait_item {
            func.sig.asyncness = None;
            let output = match &func.sig.output {
                syn::ReturnType::Type(_, ty) => quote!(#ty),
                syn::ReturnType::Default => quote!(()),
            };
            func.sig.output = syn::parse_quote!(
                -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
            );
        }
    }
    quote!(#item)
}

/// The marker type of one method, its `Method` and `Handler` impls, and the
/// compile-time checks that its route variables name request fields.
fn method(
    service: &Ident,
    full_name: &str,
    vis: &syn::Visibility,
    m: &Method,
    marker: &Ident,
) -> TokenStream {
    let Method {
        ident,
        rpc,
        request,
        reply,
        ..
    } = m;
    let operation = format!("/{full_name}/{rpc}");
    let doc = &m.doc;
    let routes = m.routes.iter().map(route_descriptor);
    let (ctx, call) = if m.ctx.is_some() {
        (
            quote!(ctx),
            quote!(<T as #service>::#ident(service, ctx, request)),
        )
    } else {
        (
            quote!(_ctx),
            quote!(<T as #service>::#ident(service, request)),
        )
    };
    let shape = match m.shape {
        Shape::Unary => quote!(Unary),
        Shape::ServerStreaming => quote!(ServerStreaming),
        Shape::ClientStreaming => quote!(ClientStreaming),
        Shape::Bidi => quote!(Bidi),
    };
    let p = quote!(::kratos::__private);
    let handler = match m.shape {
        Shape::Unary => quote! {
            #[automatically_derived]
            impl<T: #service> #p::Handler<T> for #marker {
                fn call<'a>(
                    service: &'a T,
                    #ctx: &'a #p::Context,
                    request: #request,
                ) -> impl ::core::future::Future<Output = ::core::result::Result<#reply, #p::Error>> + ::core::marker::Send + 'a {
                    #p::into_kratos_result(#call)
                }
            }
        },
        streaming => {
            let body = match streaming {
                Shape::ServerStreaming => {
                    quote!(#p::stream::server_streaming(requests, move |request| #call))
                }
                Shape::ClientStreaming => {
                    quote!({ let request = requests; #p::stream::client_streaming(#call) })
                }
                _ => quote!({ let request = requests; #p::into_kratos_result(#call) }),
            };
            quote! {
                #[automatically_derived]
                impl<T: #service> #p::StreamHandler<T> for #marker {
                    fn call<'a>(
                        service: &'a T,
                        #ctx: &'a #p::Context,
                        requests: #p::Streaming<#request>,
                    ) -> impl ::core::future::Future<Output = ::core::result::Result<#p::Streaming<#reply>, #p::Error>> + ::core::marker::Send + 'a {
                        #body
                    }
                }
            }
        }
    };
    let checks = m.routes.iter().map(|r| field_checks(r, request, marker));
    let middleware = (!m.middleware.is_empty()).then(|| {
        // Each entry carries its name's span, so a name that is not a middleware is
        // reported where it is written.
        let entries = m.middleware.iter().map(|name| {
            let span = syn::spanned::Spanned::span(name);
            quote_spanned!(span=> &#name)
        });
        quote! {
            const MIDDLEWARE: &'static [&'static dyn ::kratos::__private::Middleware] = &[#(#entries),*];
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker;

        #[automatically_derived]
        impl ::kratos::__private::Method for #marker {
            type Request = #request;
            type Reply = #reply;
            const DESCRIPTOR: &'static ::kratos::__private::MethodDescriptor = &::kratos::__private::MethodDescriptor {
                name: #rpc,
                shape: ::kratos::__private::MethodShape::#shape,
                operation: #operation,
                request: ::kratos::__private::request_descriptor::<Self>,
                reply: ::kratos::__private::reply_descriptor::<Self>,
                doc: #doc,
                routes: &[#(#routes),*],
            };
            #middleware

            fn validator() -> ::core::option::Option<::kratos::__private::Validator> {
                #[allow(unused_imports)]
                use ::kratos::__private::{ViaNothing as _, ViaValidate as _};
                (&&::kratos::__private::Probe::<#request>::new()).kratos_validator()
            }
        }

        #handler

        #(#checks)*
    }
}

fn route_descriptor(route: &Route) -> TokenStream {
    let verb = match route.verb.as_str() {
        "get" => quote!(Get),
        "post" => quote!(Post),
        "put" => quote!(Put),
        "patch" => quote!(Patch),
        _ => quote!(Delete),
    };
    let path = &route.path;
    // JSON names: the server's field setters accept them like declared names, and
    // the client finds the values under them in the serialized message.
    let json_path = |p: &str| p.split('.').map(lower_camel).collect::<Vec<_>>().join(".");
    let params = route.params.iter().map(|p| json_path(p));
    let body = match &route.body {
        Body::None => quote!(::kratos::__private::RouteBody::None),
        Body::All => quote!(::kratos::__private::RouteBody::All),
        Body::Field(field, _) => {
            let field = json_path(field);
            quote!(::kratos::__private::RouteBody::Field(#field))
        }
    };
    let status = route.status;
    let max_body = match route.max_body {
        Some(bytes) => quote!(::core::option::Option::Some(#bytes as usize)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::kratos::__private::RouteDescriptor {
            method: ::kratos::__private::HttpMethod::#verb,
            path: #path,
            params: &[#(#params),*],
            body: #body,
            status: #status,
            max_body: #max_body,
        }
    }
}

/// A constant per path variable and body field that finds the field it names in
/// the request message, spanned at the route so a missing one is reported there
/// with a sentence naming it. A dotted path continues into the field's message.
fn field_checks(route: &Route, request: &Type, marker: &Ident) -> TokenStream {
    let message = quote!(#request).to_string().replace(' ', "");
    let mut names: Vec<(String, Span, bool)> = route
        .params
        .iter()
        .map(|name| (name.clone(), route.path.span(), true))
        .collect();
    if let Body::Field(field, lit) = &route.body {
        names.push((field.clone(), lit.span(), false));
    }
    let checks = names.into_iter().map(|(path, span, variable)| {
        let p = quote_spanned!(span=> ::kratos::__private);
        let written = if variable {
            format!("the route variable `{{{path}}}`")
        } else {
            format!("`body = \"{path}\"`")
        };
        let mut levels = Vec::new();
        let mut fields = quote_spanned!(span=> #p::proto::route_check::request_fields::<#marker>());
        let mut ty = quote_spanned!(span=> <#marker as #p::Method>::Request);
        let mut within = message.clone();
        let parts: Vec<&str> = path.split('.').collect();
        for (depth, part) in parts.iter().enumerate() {
            // The last level's index is not needed further: `_` keeps it unnamed.
            let index = if depth + 1 == parts.len() {
                format_ident!("_")
            } else {
                format_ident!("I{depth}")
            };
            let missing = format!(
                "{written} names `{part}`, which is not a field of `{within}`: name a field of the request message (`a.b` for a field inside field `a`), or add the field to the message"
            );
            levels.push(quote_spanned! {span=>
                const #index: usize = #p::proto::route_check::route_field(#fields, #part, #missing);
            });
            ty = quote_spanned!(span=> <#ty as #p::proto::route_check::FieldAt<#index>>::Target);
            fields = quote_spanned!(span=> <#ty as #p::proto::route_check::RouteTarget>::FIELDS);
            within = format!("{within}.{part}");
        }
        if levels.len() == 1 {
            levels.remove(0)
        } else {
            quote_spanned!(span=> const _: () = { #(#levels)* };)
        }
    });
    quote!(#(#checks)*)
}

fn client_method(m: &Method, marker: &Ident) -> TokenStream {
    let ident = &m.ident;
    let request = &m.request_param;
    let output = &m.output;
    let ctx = m.ctx.as_ref().map(|ty| quote!(ctx: #ty,));
    let call = match m.shape {
        Shape::Unary => quote!(call),
        Shape::ServerStreaming => quote!(server_stream),
        Shape::ClientStreaming => quote!(client_stream),
        Shape::Bidi => quote!(bidi_stream),
    };
    let caller = if m.ctx.is_some() {
        quote!(::core::option::Option::Some(ctx))
    } else {
        quote!(::core::option::Option::None)
    };
    quote! {
        fn #ident(&self, #ctx request: #request) -> impl ::core::future::Future<Output = #output> + ::core::marker::Send {
            self.#call::<#marker, _>(#caller, request)
        }
    }
}
