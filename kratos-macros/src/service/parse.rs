//! Parsing `#[kratos::service]`: its arguments, the item it is on, and for a trait
//! each method as written (receiver, parameters, return type) with its `#[route]`
//! and `#[middleware]` attributes read and taken off. Nothing here judges whether
//! a method is a valid service method; `validate` does, with the tokens kept here.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Block, FnArg, GenericArgument, Generics, Ident, ItemImpl, ItemTrait, LitInt, LitStr,
    PatType, PathArguments, ReceiverKind, ReturnType, Token, TraitItem, TraitItemFn, Type,
};

use super::route::Verb;
use crate::errors::Errors;

/// `package = "..."` (on a trait) and `config = "..."` (on an impl).
#[derive(Default)]
pub(super) struct Args {
    pub(super) package: Option<LitStr>,
    pub(super) config: Option<LitStr>,
}

/// What the attribute is on.
pub(super) enum Item {
    /// A service definition.
    Trait(ItemTrait),
    /// An implementation to register for `#[kratos::main]`.
    Impl(ItemImpl),
}

/// A service trait as written.
pub(super) struct Trait {
    pub(super) args: Args,
    /// The trait, its methods without `#[route]` and `#[middleware]`.
    pub(super) item: ItemTrait,
    pub(super) methods: Vec<Method>,
    /// Members that are not methods (consts, types, macros).
    pub(super) others: Vec<TraitItem>,
}

/// One method of the trait as written.
pub(super) struct Method {
    pub(super) asyncness: Option<Token![async]>,
    /// `const`, `unsafe`, `extern "C"`: what else is written before `fn`.
    pub(super) qualifiers: TokenStream,
    pub(super) fn_token: Token![fn],
    pub(super) ident: Ident,
    pub(super) generics: Generics,
    pub(super) receiver: Receiver,
    /// The parameters after the receiver (all of them when there is none).
    pub(super) params: Vec<Param>,
    /// The `( .. )` of the parameters, for an error about the list as a whole.
    pub(super) parens: Span,
    pub(super) output: Output,
    pub(super) default: Option<Block>,
    pub(super) routes: Vec<RouteAttr>,
    pub(super) middleware: Vec<MiddlewareAttr>,
    /// The method's doc comment.
    pub(super) doc: String,
}

/// The receiver of a method.
pub(super) enum Receiver {
    /// `&self` or `&'a self`.
    Shared,
    /// `self`, `&mut self`, `self: Box<Self>`.
    Other(syn::Receiver),
    /// No receiver: an associated function.
    Missing,
}

/// A typed parameter, told apart by how its type reads.
pub(super) enum Param {
    /// `ctx: &Context` (any path ending in `Context`): the call's context.
    Context(PatType),
    /// Anything else: the request, in a well-formed method.
    Value(PatType),
}

impl Param {
    pub(super) fn arg(&self) -> &PatType {
        match self {
            Param::Context(arg) | Param::Value(arg) => arg,
        }
    }
}

/// What a method returns, as written.
pub(super) enum Output {
    /// No `-> ...`: the span of the `)` it would follow.
    Missing(Span),
    /// `-> ty`, with `Reply` when `ty` reads `Result<Reply, E>` or `Result<Reply>`.
    Type {
        ty: Box<Type>,
        reply: Option<Box<Type>>,
    },
}

/// `#[route(get = "/path", body = "*", status = 201)]` as written.
pub(super) struct RouteAttr {
    /// The attribute, for an error about what it lacks.
    pub(super) attr: Attribute,
    pub(super) verb: Option<(Verb, LitStr)>,
    pub(super) body: Option<LitStr>,
    pub(super) status: Option<LitInt>,
    pub(super) max_body: Option<LitStr>,
}

/// `#[middleware(auth, audit)]` as written.
pub(super) struct MiddlewareAttr {
    /// The attribute, for an error about an empty list.
    pub(super) attr: Attribute,
    pub(super) names: Vec<syn::Path>,
}

/// The sentence for a `#[middleware]` that names nothing, readable or not.
pub(super) const MIDDLEWARE_SHAPE: &str =
    "name the middlewares this method runs, like `#[middleware(auth, audit)]`";

pub(super) fn item(input: TokenStream) -> syn::Result<Item> {
    match syn::parse2::<syn::Item>(input)? {
        syn::Item::Trait(item) => Ok(Item::Trait(item)),
        syn::Item::Impl(item) => Ok(Item::Impl(item)),
        other => Err(syn::Error::new_spanned(
            item_head(&other),
            "`#[kratos::service]` goes on a trait (`pub trait Greeter { .. }`) or on `impl Greeter for MyType { .. }`",
        )),
    }
}

/// The tokens an error about a whole item points at: its first line, not its body.
fn item_head(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Struct(s) => {
            let (vis, token, ident) = (&s.vis, &s.struct_token, &s.ident);
            quote!(#vis #token #ident)
        }
        syn::Item::Enum(e) => {
            let (vis, token, ident) = (&e.vis, &e.enum_token, &e.ident);
            quote!(#vis #token #ident)
        }
        syn::Item::Fn(f) => f.sig.to_token_stream(),
        other => other.to_token_stream(),
    }
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

/// The trait's AST. An attribute that cannot be read is recorded in `errors` and
/// left out, so validation still runs and every mistake is reported at once.
pub(super) fn service(args: Args, mut item: ItemTrait, errors: &mut Errors) -> Trait {
    let mut methods = Vec::new();
    let mut others = Vec::new();
    for member in &mut item.items {
        match member {
            TraitItem::Fn(func) => methods.push(method(func, errors)),
            other => others.push(other.clone()),
        }
    }
    Trait {
        args,
        item,
        methods,
        others,
    }
}

/// Reads a method, taking `#[route]` and `#[middleware]` off it.
fn method(func: &mut TraitItemFn, errors: &mut Errors) -> Method {
    let mut routes = Vec::new();
    let mut middleware = Vec::new();
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut func.attrs) {
        if attr.path().is_ident("route") {
            routes.extend(route(attr, errors));
        } else if attr.path().is_ident("middleware") {
            middleware.extend(middleware_names(attr, errors));
        } else {
            kept.push(attr);
        }
    }
    func.attrs = kept;
    let sig = &func.sig;
    let mut inputs = sig.inputs.iter().peekable();
    let receiver = match inputs.next_if(|arg| matches!(arg, FnArg::Receiver(_))) {
        Some(FnArg::Receiver(r)) if matches!(r.kind, ReceiverKind::Reference(_, _, None)) => {
            Receiver::Shared
        }
        Some(FnArg::Receiver(r)) => Receiver::Other(r.clone()),
        _ => Receiver::Missing,
    };
    let params = inputs
        .filter_map(|arg| match arg {
            FnArg::Typed(arg) if is_context(&arg.ty) => Some(Param::Context(arg.clone())),
            FnArg::Typed(arg) => Some(Param::Value(arg.clone())),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let output = match &sig.output {
        ReturnType::Default => Output::Missing(sig.paren_token.span.close()),
        ReturnType::Type(_, ty) => Output::Type {
            reply: reply_of(ty).map(Box::new),
            ty: ty.clone(),
        },
    };
    let (constness, safety, abi) = (&sig.constness, &sig.safety, &sig.abi);
    Method {
        asyncness: sig.asyncness,
        qualifiers: quote!(#constness #safety #abi),
        fn_token: sig.fn_token,
        ident: sig.ident.clone(),
        generics: sig.generics.clone(),
        receiver,
        params,
        parens: sig.paren_token.span.join(),
        output,
        default: func.default.clone(),
        routes,
        middleware,
        doc: crate::docs::of(&func.attrs),
    }
}

/// `&Context`, `&kratos::Context`, ...: a shared reference to a type named `Context`.
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

/// Reads one `#[route(...)]`; what it says is checked in `validate`.
fn route(attr: Attribute, errors: &mut Errors) -> Option<RouteAttr> {
    let mut verb: Option<(Verb, LitStr)> = None;
    let mut body: Option<LitStr> = None;
    let mut status: Option<LitInt> = None;
    let mut max_body: Option<LitStr> = None;
    let parsed = attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
        if let Some(this) = Verb::from_key(&key) {
            let path: LitStr = meta.value()?.parse()?;
            if verb.is_some() {
                return Err(meta.error(
                    "a route has one verb: write a second `#[route(...)]` for another binding",
                ));
            }
            verb = Some((this, path));
        } else if key == "body" {
            body = Some(meta.value()?.parse()?);
        } else if key == "status" {
            status = Some(meta.value()?.parse()?);
        } else if key == "max_body" {
            max_body = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(format!(
                "unknown route argument `{key}`: write one of `get`, `post`, `put`, `patch`, `delete` = \"/path\", then optionally `body = \"*\"`, `status = 201` and `max_body = \"64MiB\"`"
            )));
        }
        Ok(())
    });
    match parsed {
        Ok(()) => Some(RouteAttr {
            attr,
            verb,
            body,
            status,
            max_body,
        }),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// Reads one `#[middleware(a, b)]`.
fn middleware_names(attr: Attribute, errors: &mut Errors) -> Option<MiddlewareAttr> {
    match attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated) {
        Ok(names) => Some(MiddlewareAttr {
            names: names.into_iter().collect(),
            attr,
        }),
        Err(_) => {
            errors.at(&attr, MIDDLEWARE_SHAPE);
            None
        }
    }
}
