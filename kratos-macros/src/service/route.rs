//! `#[route(get = "/path/{field}", body = "*", status = 201)]`: parsing and
//! checking one HTTP binding of a method.

use proc_macro2::Span;
use syn::{Attribute, LitInt, LitStr};

use crate::errors::Errors;

/// The HTTP verbs a route may bind.
pub(super) const VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Where the body goes.
pub(super) enum Body {
    None,
    All,
    Field(String, LitStr),
}

/// One checked route.
pub(super) struct Route {
    /// Lowercase verb, one of [`VERBS`].
    pub(super) verb: String,
    pub(super) path: LitStr,
    /// The field path of each `{variable}`, in order.
    pub(super) params: Vec<String>,
    pub(super) body: Body,
    pub(super) status: u16,
}

/// Parses one `#[route(...)]`; every problem is recorded in `errors`.
pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Route> {
    let mut verb: Option<(String, LitStr)> = None;
    let mut body: Option<LitStr> = None;
    let mut status: Option<LitInt> = None;
    let parsed = attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
        if VERBS.contains(&key.as_str()) {
            let path: LitStr = meta.value()?.parse()?;
            if verb.is_some() {
                return Err(meta.error("a route has one verb: write a second `#[route(...)]` for another binding"));
            }
            verb = Some((key, path));
        } else if key == "body" {
            body = Some(meta.value()?.parse()?);
        } else if key == "status" {
            status = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(format!(
                "unknown route argument `{key}`: write one of `get`, `post`, `put`, `patch`, `delete` = \"/path\", then optionally `body = \"*\"` and `status = 201`"
            )));
        }
        Ok(())
    });
    if let Err(e) = parsed {
        errors.push(e);
        return None;
    }
    let Some((verb, path)) = verb else {
        errors.at(
            attr,
            "a route needs a verb and a path: write `#[route(get = \"/v1/things/{id}\")]` (or post, put, patch, delete)",
        );
        return None;
    };
    let params = template_params(&path, errors)?;
    let body = match body {
        None => Body::None,
        Some(lit) if verb == "get" || verb == "delete" => {
            errors.at(
                &lit,
                format!("a `{verb}` route has no body: remove `body`, its fields come from the path and the query string"),
            );
            Body::None
        }
        Some(lit) if lit.value() == "*" => Body::All,
        Some(lit) => {
            let field = lit.value();
            if !is_ident(&field) {
                errors.at(
                    &lit,
                    "`body` is `\"*\"` (the whole message) or the name of one top-level field, like `body = \"user\"`",
                );
            }
            Body::Field(field, lit)
        }
    };
    let status = match status {
        None => 200,
        Some(lit) => match lit.base10_parse::<u16>() {
            Ok(code @ 200..=299) => code,
            _ => {
                errors.at(&lit, "`status` is the success status of the route: a number from 200 to 299, like `status = 201`");
                200
            }
        },
    };
    Some(Route {
        verb,
        path,
        params,
        body,
        status,
    })
}

fn is_ident(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The field paths named by `{...}` in a path template.
fn template_params(lit: &LitStr, errors: &mut Errors) -> Option<Vec<String>> {
    let path = lit.value();
    let fail = |errors: &mut Errors, message: String| {
        errors.push(syn::Error::new(lit.span(), message));
        None
    };
    if !path.starts_with('/') {
        return fail(
            errors,
            format!(
                "a route path starts with `/`: write \"/{}\"",
                path.trim_start_matches('/')
            ),
        );
    }
    let mut params = Vec::new();
    let mut rest = path.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return fail(errors, "unmatched `}` in the route path".to_owned());
        }
        let Some(len) = rest[open + 1..].find('}') else {
            return fail(
                errors,
                "unclosed `{` in the route path: write `{field}`".to_owned(),
            );
        };
        let name = &rest[open + 1..open + 1 + len];
        if name.contains('=') || name.contains('*') {
            return fail(
                errors,
                format!(
                    "path patterns like `{{{name}}}` are not supported: write a plain variable such as `{{name}}`"
                ),
            );
        }
        if name.is_empty() || !name.split('.').all(is_ident) {
            return fail(
                errors,
                format!(
                    "`{{{name}}}` is not a field path: write `{{field}}` or `{{field.subfield}}`"
                ),
            );
        }
        if params.iter().any(|p| p == name) {
            return fail(
                errors,
                format!("`{{{name}}}` appears twice in the route path"),
            );
        }
        params.push(name.to_owned());
        let after = &rest[open + 1 + len + 1..];
        if after.starts_with('{') {
            return fail(
                errors,
                "two variables need a literal between them, like `/{a}/{b}`".to_owned(),
            );
        }
        rest = after;
    }
    Some(params)
}

/// The span to blame for a route parameter: the path literal.
pub(super) fn span_of(route: &Route) -> Span {
    route.path.span()
}
