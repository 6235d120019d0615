//! Checking a middleware function or impl.

use syn::{FnArg, ImplItem, ItemFn, ItemImpl, ReturnType, Signature};

use super::parse::{Args, Item};
use crate::errors::Errors;

/// A checked middleware.
pub(super) enum Middleware {
    /// `async fn name(ctx, req, next)`.
    Fn(Box<ItemFn>),
    /// `impl Middleware for Type` whose `handle` is an `async fn`.
    Impl {
        item: Box<ItemImpl>,
        handle: Box<syn::ImplItemFn>,
    },
}

/// A checked middleware and how it registers.
pub(super) struct Model {
    pub(super) middleware: Middleware,
    pub(super) global: bool,
    pub(super) order: i32,
}

const SHAPE: &str = "write `async fn name(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error>`";

/// Checks `async`, three parameters after an optional receiver, and a return type.
fn signature(sig: &Signature, receiver: bool, errors: &mut Errors) {
    if sig.asyncness.is_none() {
        let (f, i) = (&sig.fn_token, &sig.ident);
        errors.at(
            quote::quote!(#f #i),
            format!("a middleware is async: {SHAPE}"),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.at(&sig.generics, "a middleware function cannot be generic");
    }
    let typed = sig
        .inputs
        .iter()
        .filter(|a| matches!(a, FnArg::Typed(_)))
        .count();
    let has_receiver = sig.receiver().is_some();
    if has_receiver != receiver {
        let what = if receiver {
            "`handle` takes `&self` first"
        } else {
            "a middleware function takes no `self`"
        };
        errors.at(&sig.inputs, what);
    }
    if typed != 3 {
        errors.at(
            &sig.inputs,
            format!(
                "a middleware takes the context, the request and the rest of the chain: {SHAPE}"
            ),
        );
    }
    if let ReturnType::Default = sig.output {
        errors.push(syn::Error::new(
            sig.paren_token.span.close(),
            format!("a middleware returns the reply or an error: {SHAPE}"),
        ));
    }
}

pub(super) fn middleware(args: Args, item: Item) -> syn::Result<Model> {
    let mut errors = Errors::default();
    let order = match &args.order {
        Some(lit) => lit.base10_parse::<i32>().unwrap_or_else(|e| {
            errors.push(e);
            0
        }),
        None => 0,
    };
    if let (Some(lit), None) = (&args.order, &args.global) {
        errors.at(
            lit,
            "`order` places a global middleware: write `#[kratos::middleware(global, order = 10)]`",
        );
    }
    let middleware = match item {
        Item::Fn(f) => {
            signature(&f.sig, false, &mut errors);
            Middleware::Fn(Box::new(f))
        }
        Item::Impl(item) => {
            if item.trait_.is_none() {
                errors.at(&item.self_ty, "write `impl Middleware for Type` with an `async fn handle(&self, ctx, req, next)`");
            }
            if !item.generics.params.is_empty() && args.global.is_some() {
                errors.at(&item.generics, "a global middleware is built at start-up: annotate an impl for a concrete type");
            }
            let handle = item.items.iter().find_map(|i| match i {
                ImplItem::Fn(f) if f.sig.ident == "handle" => Some(f.clone()),
                _ => None,
            });
            match handle {
                Some(handle) => {
                    signature(&handle.sig, true, &mut errors);
                    Middleware::Impl {
                        item: Box::new(item),
                        handle: Box::new(handle),
                    }
                }
                None => {
                    errors.at(&item.self_ty, "the impl needs `async fn handle(&self, ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error>`");
                    return Err(errors.finish(()).expect_err("an error was just recorded"));
                }
            }
        }
    };
    errors.finish(Model {
        middleware,
        global: args.global.is_some(),
        order,
    })
}
