//! Checking a `#[kratos::service]` trait and building its model.

use proc_macro2::Span;
use syn::{
    FnArg, GenericArgument, ItemTrait, PathArguments, ReceiverKind, ReturnType, TraitItem, Type,
};

use super::parse::Args;
use super::route::{self, Route};
use crate::case::upper_camel;
use crate::errors::Errors;

/// A checked service trait.
pub(super) struct Service {
    /// The trait with `#[route]` attributes removed.
    pub(super) item: ItemTrait,
    pub(super) package: String,
    pub(super) methods: Vec<Method>,
}

/// A checked method.
pub(super) struct Method {
    pub(super) ident: syn::Ident,
    /// UpperCamel gRPC name.
    pub(super) rpc: String,
    /// The `&Context` parameter's type, when the method takes one.
    pub(super) ctx: Option<Type>,
    pub(super) request: Type,
    /// The declared return type, `Result<Reply, E>`.
    pub(super) output: Type,
    pub(super) reply: Type,
    pub(super) routes: Vec<Route>,
    /// Middlewares named by `#[middleware(a, b)]`, innermost of the method's chain.
    pub(super) middleware: Vec<syn::Path>,
    /// The method's doc comment.
    pub(super) doc: String,
}

fn is_package(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn is_context(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Context"),
            _ => false,
        },
        _ => false,
    }
}

/// The `Reply` of `Result<Reply, E>` or `Result<Reply>`.
fn reply_of(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(reply) => Some(reply.clone()),
        _ => None,
    }
}

pub(super) fn service(args: Args, mut item: ItemTrait) -> syn::Result<Service> {
    let mut errors = Errors::default();
    if let Some(config) = &args.config {
        errors.at(
            config,
            "`config` belongs on `impl Trait for Type`; on a trait write only `package = \"...\"`",
        );
    }
    let package = match &args.package {
        None => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "a service needs its proto package: write `#[kratos::service(package = \"helloworld.v1\")]`",
            ));
            String::new()
        }
        Some(lit) if !is_package(&lit.value()) => {
            errors.at(
                lit,
                "a package is dot-separated identifiers, like `package = \"helloworld.v1\"`",
            );
            String::new()
        }
        Some(lit) => lit.value(),
    };
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.at(
            &item.generics,
            "a service trait cannot be generic: remove the generic parameters and use concrete message types",
        );
    }

    let mut methods = Vec::new();
    let mut bound: Vec<(String, String, String)> = Vec::new();
    for trait_item in &mut item.items {
        let TraitItem::Fn(func) = trait_item else {
            errors.at(
                &*trait_item,
                "a service trait holds only `async fn` methods: move this item elsewhere",
            );
            continue;
        };
        let mut routes = Vec::new();
        let mut middleware = Vec::new();
        let mut kept = Vec::new();
        for attr in std::mem::take(&mut func.attrs) {
            if attr.path().is_ident("route") {
                if let Some(route) = route::parse(&attr, &mut errors) {
                    routes.push(route);
                }
            } else if attr.path().is_ident("middleware") {
                let names = attr.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                );
                match names {
                    Ok(names) if !names.is_empty() => middleware.extend(names),
                    _ => errors.at(
                        &attr,
                        "name the middlewares this method runs, like `#[middleware(auth, audit)]`",
                    ),
                }
            } else {
                kept.push(attr);
            }
        }
        func.attrs = kept;
        let sig = &func.sig;
        if sig.asyncness.is_none() {
            errors.at(
                {
                    let (f, i) = (&sig.fn_token, &sig.ident);
                    quote::quote!(#f #i)
                },
                format!(
                    "service methods are async: write `async fn {}(...)`",
                    sig.ident
                ),
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.at(
                &sig.generics,
                "a service method cannot be generic: use concrete message types",
            );
        }
        if let Some(body) = &func.default {
            errors.at(body, "a service method has no default body: end the declaration with `;` and implement it in `impl Trait for Type`");
        }
        let mut inputs = sig.inputs.iter();
        match inputs.next() {
            Some(FnArg::Receiver(r)) if matches!(r.kind, ReceiverKind::Reference(_, _, None)) => {}
            Some(other) => errors.at(other, "a service method takes `&self` first"),
            None => errors.at(
                &sig.ident,
                "a service method takes `&self` and a request: `(&self, req: HelloRequest)`",
            ),
        }
        let typed: Vec<&syn::PatType> = inputs
            .filter_map(|arg| match arg {
                FnArg::Typed(t) => Some(t),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let (ctx, request) = match typed.as_slice() {
            [request] if !is_context(&request.ty) => (None, Some(request)),
            [ctx, request] if is_context(&ctx.ty) => (Some((*ctx.ty).clone()), Some(request)),
            [ctx, _] => {
                errors.at(
                    &ctx.ty,
                    "with two parameters the first is the context: write `ctx: &kratos::Context, req: Request`",
                );
                (None, None)
            }
            _ => {
                errors.at(
                    &sig.inputs,
                    "a service method takes one request message: `(&self, req: HelloRequest)`, optionally after `ctx: &kratos::Context`",
                );
                (None, None)
            }
        };
        if let Some(request) = request
            && !matches!(&*request.ty, Type::Path(_))
        {
            errors.at(
                &request.ty,
                "the request is an owned message type, like `req: HelloRequest`",
            );
        }
        let output = match &sig.output {
            ReturnType::Type(_, ty) => Some((**ty).clone()),
            ReturnType::Default => None,
        };
        let reply = output.as_ref().and_then(reply_of);
        if reply.is_none() {
            let message = "a service method returns `Result<Reply, kratos::Error>`";
            match &sig.output {
                ReturnType::Default => {
                    errors.push(syn::Error::new(sig.paren_token.span.close(), message))
                }
                ReturnType::Type(_, ty) => errors.at(ty, message),
            }
        }
        for route in &routes {
            let shape = shape_of(&route.path.value());
            if let Some((_, _, first)) = bound
                .iter()
                .find(|(v, s, _)| *v == route.verb && *s == shape)
            {
                errors.push(syn::Error::new(
                    route::span_of(route),
                    format!(
                        "`{} {}` is already bound to `{first}`: give this route another path or verb",
                        route.verb.to_uppercase(),
                        route.path.value()
                    ),
                ));
            } else {
                bound.push((route.verb.clone(), shape, sig.ident.to_string()));
            }
        }
        if let (Some(request), Some(output), Some(reply)) = (request, output, reply) {
            methods.push(Method {
                ident: sig.ident.clone(),
                rpc: upper_camel(&sig.ident.to_string()),
                ctx,
                request: (*request.ty).clone(),
                output,
                reply,
                routes,
                middleware,
                doc: crate::docs::of(&func.attrs),
            });
        }
    }
    errors.finish(Service {
        item,
        package,
        methods,
    })
}

/// A path with its variables blanked, so `/a/{x}` and `/a/{y}` compare equal.
fn shape_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push_str("{}");
            }
            '}' => depth -= 1,
            _ if depth > 0 => {}
            c => out.push(c),
        }
    }
    out
}
