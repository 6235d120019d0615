//! The rules of streaming methods: where `Streaming<T>` may be written in a
//! request or a reply, what it may carry, and which routes can serve it. Each
//! catches, at the tokens written, a mistake the compiler would otherwise report
//! as trait errors about the stream's internals or the generated code.

use syn::Type;
use syn::punctuated::Punctuated;

use super::Shape;
use crate::errors::Errors;
use crate::service::route::{Body, Route, Verb};

/// The message type of a request or reply and whether it is a stream of them:
/// `Streaming<T>` (any path ending in `Streaming`) is `(T, true)`. `None` once a
/// rule below refused it; they run in turn so one mistake gives one error.
pub(super) fn stream_item(ty: &Type, errors: &mut Errors) -> Option<(Type, bool)> {
    let fine = stream_not_optional(ty, errors)
        && stream_whole(ty, errors)
        && not_a_trait(ty, errors)
        && stream_of_messages(ty, errors);
    if !fine {
        return None;
    }
    match generic_arg(ty, "Streaming") {
        Some(item) => Some((item, true)),
        None => Some((ty.clone(), false)),
    }
}

/// A stream inside an `Option` is refused: a stream with no message is empty, not
/// absent.
fn stream_not_optional(ty: &Type, errors: &mut Errors) -> bool {
    let optional_stream =
        generic_arg(ty, "Option").is_some_and(|inner| generic_arg(&inner, "Streaming").is_some());
    if optional_stream {
        errors.at(
            ty,
            "a stream cannot be optional: write `kratos::Streaming<T>` (a stream with no message is an empty stream)",
        );
    }
    !optional_stream
}

/// `Streaming<T>` is a whole request or reply, of messages: not inside another type
/// (`Vec<Streaming<T>>`, `Box<..>`), whose wire form would be a message, and not a
/// stream of streams. Left to the compiler, both end in trait errors about the
/// stream's internals.
fn stream_whole(ty: &Type, errors: &mut Errors) -> bool {
    let is_stream = |t: &Type| generic_arg(t, "Streaming").is_some();
    if let Some(item) = generic_arg(ty, "Streaming") {
        let Some(inner) = find_type(&item, &is_stream) else {
            return true;
        };
        errors.at(
            ty,
            format!(
                "a stream carries messages, not streams: write `{}`",
                written(inner)
            ),
        );
    } else {
        let Some(inner) = find_type(ty, &is_stream) else {
            return true;
        };
        errors.at(
            ty,
            format!(
                "a stream is the whole request or the whole reply, not part of another type: write `{}`",
                written(inner)
            ),
        );
    }
    false
}

/// A stream's items are messages: each is one frame, one SSE event, one JSON line.
/// A field type (`Streaming<String>`, `Streaming<Vec<Tick>>`) is refused here with
/// the struct to declare; left to the compiler, the note would say to put
/// `#[kratos::message]` on `String`. Other non-messages are the compiler's to report.
fn stream_of_messages(ty: &Type, errors: &mut Errors) -> bool {
    const FIELD_TYPES: &[&str] = &[
        "bool", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128",
        "usize", "f32", "f64", "char", "str", "String", "Vec", "Option", "HashMap", "BTreeMap",
        "Box",
    ];
    let Some(item) = generic_arg(ty, "Streaming") else {
        return true;
    };
    let field_type = match &item {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| FIELD_TYPES.iter().any(|name| last.ident == name)),
        Type::Tuple(_) | Type::Reference(_) | Type::Array(_) | Type::Slice(_) => true,
        _ => false,
    };
    if field_type {
        errors.at(
            &item,
            format!(
                "a stream carries messages, and `{}` is not one: declare a `#[kratos::message]` struct with a field of this type and stream that struct",
                written(&item)
            ),
        );
    }
    !field_type
}

/// A request or reply is a type the wire can carry, not `impl Trait` or `dyn Trait`.
/// Someone writing `impl Stream<Item = Tick>` means a stream: the sentence names
/// the `Streaming` to write instead.
pub(super) fn not_a_trait(ty: &Type, errors: &mut Errors) -> bool {
    let Some(found) = find_type(ty, &|t| trait_bounds(t).is_some()) else {
        return true;
    };
    let item = trait_bounds(found).and_then(|bounds| bounds.iter().find_map(item_binding));
    match item {
        Some(item) => errors.at(
            found,
            format!(
                "a stream is one type, not a trait: write `kratos::Streaming<{}>` (`Streaming::new(stream)` and `Streaming::iter(items)` turn a stream or an iterator into one)",
                written(&item)
            ),
        ),
        None => errors.at(
            found,
            "a request or reply is a message type or a `kratos::Streaming<T>` of one, not a trait: write the message type",
        ),
    }
    false
}

/// The bounds of `impl A + B` or `dyn A + B`.
fn trait_bounds(ty: &Type) -> Option<&Punctuated<syn::TypeParamBound, syn::Token![+]>> {
    match ty {
        Type::ImplTrait(t) => Some(&t.bounds),
        Type::TraitObject(t) => Some(&t.bounds),
        _ => None,
    }
}

/// The message of `Stream<Item = T>` or `Iterator<Item = Result<T, E>>`.
fn item_binding(bound: &syn::TypeParamBound) -> Option<Type> {
    let syn::TypeParamBound::Trait(bound) = bound else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &bound.path.segments.last()?.arguments else {
        return None;
    };
    let item = args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::AssocType(assoc) if assoc.ident == "Item" => Some(&assoc.ty),
        _ => None,
    })?;
    let Type::Path(path) = item else {
        return Some(item.clone());
    };
    let last = path.path.segments.last()?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if last.ident == "Result" => {
            match args.args.first()? {
                syn::GenericArgument::Type(ok) => Some(ok.clone()),
                _ => None,
            }
        }
        _ => Some(item.clone()),
    }
}

/// A stream is owned by the method that reads it (reading takes `&mut`), and the
/// server hands it over: `&Streaming<T>` is refused with the by-value form.
pub(super) fn stream_by_value(request: &Type, errors: &mut Errors) -> bool {
    let Type::Reference(reference) = request else {
        return true;
    };
    if generic_arg(&reference.elem, "Streaming").is_none() {
        return true;
    }
    errors.at(
        request,
        format!(
            "a stream is taken by value: write `req: {}` (and `mut req` in the impl, to read it)",
            written(&reference.elem)
        ),
    );
    false
}

/// The first of `ty` and the types written inside it (generic arguments, tuple
/// members, referents) that `hit` accepts; a trait's bounds are not entered.
fn find_type<'t>(ty: &'t Type, hit: &impl Fn(&Type) -> bool) -> Option<&'t Type> {
    if hit(ty) {
        return Some(ty);
    }
    match ty {
        Type::Path(path) => {
            let qself = path.qself.iter().map(|q| &*q.ty);
            let args = path
                .path
                .segments
                .iter()
                .flat_map(|segment| match &segment.arguments {
                    syn::PathArguments::AngleBracketed(args) => args
                        .args
                        .iter()
                        .filter_map(|arg| match arg {
                            syn::GenericArgument::Type(t) => Some(t),
                            syn::GenericArgument::AssocType(assoc) => Some(&assoc.ty),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                });
            qself.chain(args).find_map(|t| find_type(t, hit))
        }
        Type::Tuple(tuple) => tuple.elems.iter().find_map(|t| find_type(t, hit)),
        Type::Reference(r) => find_type(&r.elem, hit),
        Type::Slice(s) => find_type(&s.elem, hit),
        Type::Array(a) => find_type(&a.elem, hit),
        Type::Paren(p) => find_type(&p.elem, hit),
        Type::Group(g) => find_type(&g.elem, hit),
        Type::Ptr(p) => find_type(&p.elem, hit),
        _ => None,
    }
}

/// A type as the user wrote it, for a sentence: `kratos::Streaming<Tick>`.
fn written(ty: &Type) -> String {
    quote::quote!(#ty)
        .to_string()
        .replace(' ', "")
        .replace(',', ", ")
}

/// `T` of `Name<T>` (any path whose last segment is `Name`).
fn generic_arg(ty: &Type, name: &str) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(item) if args.args.len() == 1 => Some(item.clone()),
        _ => None,
    }
}

/// What a route of a streaming method can be: a stream of requests arrives over
/// WebSocket, which opens with a GET and no body, or, for a stream of
/// `FormChunk`, as a `multipart/form-data` body POSTed or PUT; a server-streaming
/// request is bound whole or from the path and query.
pub(super) fn stream_route(shape: Shape, route: &Route, request: &Type, errors: &mut Errors) {
    if shape.client_streams() {
        let form = shape == Shape::ClientStreaming && is_form_chunk(request);
        if route.verb != Verb::Get && !(form && matches!(route.verb, Verb::Post | Verb::Put)) {
            errors.push(syn::Error::new(
                route.path.span(),
                format!(
                    "a method that takes `Streaming<..>` is served over WebSocket, which opens with GET: write `#[route(get = \"{}\")]`",
                    route.path.value()
                ),
            ));
        }
        if let Some(name) = route.params.first() {
            errors.push(syn::Error::new(
                route.path.span(),
                format!(
                    "a WebSocket route binds no path variable: its requests arrive as messages; remove `{{{name}}}` from the path"
                ),
            ));
        }
    } else if shape == Shape::ServerStreaming
        && let Body::Field(_, lit) = &route.body
    {
        errors.at(
            lit,
            "a server-streaming route takes its request whole: write `body = \"*\"`, or no body for a GET",
        );
    }
}

/// Whether `ty` names `FormChunk` (any path ending in it): its stream is also a
/// streamed `multipart/form-data` body.
fn is_form_chunk(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "FormChunk")
}
