//! Checking a parsed service trait and building the model `expand` writes from.
//! One function per rule, each reporting at the tokens the user wrote: the
//! trait's arguments and members, then each method's signature and attributes,
//! then each route, then the routes of all methods together. The rules of
//! streaming methods are in `stream`.

use proc_macro2::Span;
use syn::{Ident, ItemTrait, LitInt, LitStr, Type};

use super::parse::{self, Output, Param, Receiver, RouteAttr};
use super::route::{self, Body, Route, Verb};
use crate::case::upper_camel;
use crate::errors::Errors;
use stream::{not_a_trait, stream_by_value, stream_item, stream_route};

mod stream;

/// A checked service trait.
pub(super) struct Service {
    /// The trait with `#[route]` attributes removed.
    pub(super) item: ItemTrait,
    pub(super) package: String,
    pub(super) methods: Vec<Method>,
}

/// How many messages each side of a method sends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Unary,
    /// `-> Result<Streaming<Reply>>`.
    ServerStreaming,
    /// `req: Streaming<Request>`.
    ClientStreaming,
    /// Both.
    Bidi,
}

impl Shape {
    pub(super) fn client_streams(self) -> bool {
        matches!(self, Shape::ClientStreaming | Shape::Bidi)
    }
}

/// A checked method.
pub(super) struct Method {
    pub(super) ident: syn::Ident,
    /// UpperCamel gRPC name.
    pub(super) rpc: String,
    /// The `&Context` parameter's type, when the method takes one.
    pub(super) ctx: Option<Type>,
    /// The request message (the item type of a `Streaming` request).
    pub(super) request: Type,
    /// The request parameter's type as written.
    pub(super) request_param: Type,
    /// The declared return type, `Result<Reply, E>`.
    pub(super) output: Type,
    /// The reply message (the item type of a `Streaming` reply).
    pub(super) reply: Type,
    pub(super) shape: Shape,
    pub(super) routes: Vec<Route>,
    /// Middlewares named by `#[middleware(a, b)]`, innermost of the method's chain.
    pub(super) middleware: Vec<syn::Path>,
    /// The method's doc comment.
    pub(super) doc: String,
}

/// Checks the trait, recording every problem in `errors`. The model holds only the
/// methods that passed; it is expanded only when `errors` stays empty.
pub(super) fn service(ast: parse::Trait, errors: &mut Errors) -> Service {
    let package = package(&ast.args, errors);
    no_config(&ast.args, errors);
    not_generic(&ast.item, errors);
    for other in &ast.others {
        errors.at(
            other,
            "a service trait holds only `async fn` methods: move this item elsewhere",
        );
    }
    let mut bound = Vec::new();
    let mut methods = Vec::new();
    for ast in &ast.methods {
        let routes: Vec<Route> = ast.routes.iter().filter_map(|r| route(r, errors)).collect();
        for route in &routes {
            unbound(route, &ast.ident, &mut bound, errors);
        }
        methods.extend(method(ast, routes, errors));
    }
    Service {
        item: ast.item,
        package,
        methods,
    }
}

fn package(args: &parse::Args, errors: &mut Errors) -> String {
    match &args.package {
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
    }
}

fn is_package(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(route::is_ident)
}

fn no_config(args: &parse::Args, errors: &mut Errors) {
    if let Some(config) = &args.config {
        errors.at(
            config,
            "`config` belongs on `impl Trait for Type`; on a trait write only `package = \"...\"`",
        );
    }
}

fn not_generic(item: &ItemTrait, errors: &mut Errors) {
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.at(
            &item.generics,
            "a service trait cannot be generic: remove the generic parameters and use concrete message types",
        );
    }
}

/// Checks one method; `None` when it cannot be served.
fn method(ast: &parse::Method, routes: Vec<Route>, errors: &mut Errors) -> Option<Method> {
    is_async(ast, errors);
    plain_fn(ast, errors);
    method_not_generic(ast, errors);
    no_default_body(ast, errors);
    takes_shared_self(ast, errors);
    let middleware = middleware(ast, errors);
    let params = params(ast, errors);
    let request = params
        .as_ref()
        .filter(|(_, request)| stream_by_value(request, errors) && not_a_trait(request, errors))
        .and_then(|(_, request)| owned_request(request, errors));
    let output = returns_result(&ast.output, errors);
    let ((ctx, _), request_param, (output, reply)) = (params?, request?, output?);
    let (request, reply) = (
        stream_item(&request_param, errors),
        stream_item(&reply, errors),
    );
    let ((request, client_streams), (reply, server_streams)) = (request?, reply?);
    let shape = match (client_streams, server_streams) {
        (false, false) => Shape::Unary,
        (false, true) => Shape::ServerStreaming,
        (true, false) => Shape::ClientStreaming,
        (true, true) => Shape::Bidi,
    };
    for route in &routes {
        stream_route(shape, route, &request, errors);
    }
    Some(Method {
        ident: ast.ident.clone(),
        rpc: upper_camel(&ast.ident.to_string()),
        ctx,
        request,
        request_param,
        output,
        reply,
        shape,
        routes,
        middleware,
        doc: ast.doc.clone(),
    })
}

fn is_async(ast: &parse::Method, errors: &mut Errors) {
    if ast.asyncness.is_none() {
        let (f, i) = (&ast.fn_token, &ast.ident);
        errors.at(
            quote::quote!(#f #i),
            format!("service methods are async: write `async fn {i}(...)`"),
        );
    }
}

/// The trait is implemented by generated code (the client) and called by it (the
/// server), which both expect a plain `async fn`.
fn plain_fn(ast: &parse::Method, errors: &mut Errors) {
    if !ast.qualifiers.is_empty() {
        let written = &ast.qualifiers;
        errors.at(
            written,
            format!("a service method is a plain `async fn`: remove `{written}`"),
        );
    }
}

fn method_not_generic(ast: &parse::Method, errors: &mut Errors) {
    if !ast.generics.params.is_empty() || ast.generics.where_clause.is_some() {
        errors.at(
            &ast.generics,
            "a service method cannot be generic: use concrete message types",
        );
    }
}

fn no_default_body(ast: &parse::Method, errors: &mut Errors) {
    if let Some(body) = &ast.default {
        errors.at(
            body,
            "a service method has no default body: end the declaration with `;` and implement it in `impl Trait for Type`",
        );
    }
}

/// Servers hold the implementation behind `&T`, so `&self` is the only receiver.
fn takes_shared_self(ast: &parse::Method, errors: &mut Errors) {
    match (&ast.receiver, ast.params.first()) {
        (Receiver::Shared, _) => {}
        (Receiver::Other(receiver), _) => {
            errors.at(receiver, "a service method takes `&self` first")
        }
        (Receiver::Missing, Some(first)) => {
            errors.at(first.arg(), "a service method takes `&self` first")
        }
        (Receiver::Missing, None) => errors.at(
            &ast.ident,
            "a service method takes `&self` and a request: `(&self, req: HelloRequest)`",
        ),
    }
}

/// The context's type, if taken, and the request parameter's type.
fn params(ast: &parse::Method, errors: &mut Errors) -> Option<(Option<Type>, Type)> {
    match ast.params.as_slice() {
        [Param::Value(request)] => Some((None, (*request.ty).clone())),
        [Param::Context(ctx), request] => {
            Some((Some((*ctx.ty).clone()), (*request.arg().ty).clone()))
        }
        [Param::Value(first), _] => {
            errors.at(
                &first.ty,
                "with two parameters the first is the context: write `ctx: &kratos::Context, req: Request`",
            );
            None
        }
        // Nothing at all is already reported, as a missing `&self` and request.
        [] if matches!(ast.receiver, Receiver::Missing) => None,
        _ => {
            errors.push(syn::Error::new(
                ast.parens,
                "a service method takes one request message: `(&self, req: HelloRequest)`, optionally after `ctx: &kratos::Context`",
            ));
            None
        }
    }
}

/// The request is decoded into a value the method owns, so it is a plain path type.
fn owned_request(request: &Type, errors: &mut Errors) -> Option<Type> {
    if let Type::Path(_) = request {
        Some(request.clone())
    } else {
        errors.at(
            request,
            "the request is an owned message type, like `req: HelloRequest`",
        );
        None
    }
}

/// The declared output and its `Reply`.
fn returns_result(output: &Output, errors: &mut Errors) -> Option<(Type, Type)> {
    const RESULT: &str = "a service method returns `Result<Reply, kratos::Error>`";
    match output {
        Output::Type {
            ty,
            reply: Some(reply),
        } => Some(((**ty).clone(), (**reply).clone())),
        Output::Type { ty, reply: None } => {
            errors.at(ty, RESULT);
            None
        }
        Output::Missing(close_paren) => {
            errors.push(syn::Error::new(*close_paren, RESULT));
            None
        }
    }
}

/// The names of every `#[middleware(..)]`, in order.
fn middleware(ast: &parse::Method, errors: &mut Errors) -> Vec<syn::Path> {
    let mut names = Vec::new();
    for attr in &ast.middleware {
        if attr.names.is_empty() {
            errors.at(&attr.attr, parse::MIDDLEWARE_SHAPE);
        }
        names.extend(attr.names.iter().cloned());
    }
    names
}

/// Checks one `#[route(...)]`; `None` without a usable verb and path. A bad body or
/// status still yields the route, so it takes part in the duplicate check.
fn route(attr: &RouteAttr, errors: &mut Errors) -> Option<Route> {
    let status = status(attr.status.as_ref(), errors);
    let max_body = attr.max_body.as_ref().and_then(|lit| {
        let size = route::parse_size(&lit.value());
        if size.is_none() {
            errors.at(
                lit,
                "`max_body` is the route's body limit: a size such as \"64MiB\", \"500KB\" or \"1048576\" (bytes), more than 0",
            );
        }
        size
    });
    let Some((verb, path)) = &attr.verb else {
        errors.at(
            &attr.attr,
            "a route needs a verb and a path: write `#[route(get = \"/v1/things/{id}\")]` (or post, put, patch, delete)",
        );
        return None;
    };
    let body = body(*verb, attr.body.as_ref(), errors);
    let params = path_params(path, errors)?;
    Some(Route {
        verb: *verb,
        path: path.clone(),
        params,
        body,
        status,
        max_body,
    })
}

fn path_params(path: &LitStr, errors: &mut Errors) -> Option<Vec<String>> {
    route::template_params(&path.value())
        .map_err(|message| errors.push(syn::Error::new(path.span(), message)))
        .ok()
}

fn body(verb: Verb, body: Option<&LitStr>, errors: &mut Errors) -> Body {
    let Some(lit) = body else {
        return Body::None;
    };
    if !verb.has_body() {
        errors.at(
            lit,
            format!(
                "a `{}` route has no body: remove `body`, its fields come from the path and the query string",
                verb.as_str()
            ),
        );
        return Body::None;
    }
    let field = lit.value();
    if field == "*" {
        return Body::All;
    }
    if !route::is_ident(&field) {
        errors.at(
            lit,
            "`body` is `\"*\"` (the whole message) or the name of one top-level field, like `body = \"user\"`",
        );
    }
    Body::Field(field, lit.clone())
}

fn status(status: Option<&LitInt>, errors: &mut Errors) -> u16 {
    match status.map(|lit| (lit, lit.base10_parse::<u16>())) {
        None => 200,
        Some((_, Ok(code @ 200..=299))) => code,
        Some((lit, _)) => {
            errors.at(
                lit,
                "`status` is the success status of the route: a number from 200 to 299, like `status = 201`",
            );
            200
        }
    }
}

/// Records the route's verb and path shape in `bound`, or reports the method that
/// already has them: the router could not tell the two apart.
fn unbound(
    route: &Route,
    method: &Ident,
    bound: &mut Vec<(Verb, String, String)>,
    errors: &mut Errors,
) {
    let shape = route::shape(&route.path.value());
    match bound
        .iter()
        .find(|(verb, s, _)| *verb == route.verb && *s == shape)
    {
        Some((_, _, first)) => errors.push(syn::Error::new(
            route.path.span(),
            format!(
                "`{} {}` is already bound to `{first}`: give this route another path or verb",
                route.verb.as_str().to_uppercase(),
                route.path.value()
            ),
        )),
        None => bound.push((route.verb, shape, method.to_string())),
    }
}
