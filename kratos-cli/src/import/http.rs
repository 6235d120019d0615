//! `google.api.http` method options -> `#[route(..)]`: the binding and each of its
//! `additional_bindings` become one route each. A binding kratos-rs cannot serve
//! (a custom verb, `response_body`, a `{name=pattern}` variable, a body on GET or
//! DELETE, a streaming method's route other than a plain GET) is dropped with a
//! warning naming the method: the method is still served over gRPC.

use prost_reflect::{DynamicMessage, FileDescriptor, Kind, MessageDescriptor, MethodDescriptor};

use super::diag::Report;

/// The inside of each `#[route(..)]` for `method`, in the option's order.
pub fn routes(
    report: &mut Report,
    file: &FileDescriptor,
    method: &MethodDescriptor,
) -> Vec<String> {
    let options = method.options();
    let Some(rule) = options
        .extensions()
        .find(|(ext, _)| ext.full_name() == "google.api.http")
        .and_then(|(_, v)| v.as_message().cloned())
    else {
        return Vec::new();
    };
    let mut bindings = vec![rule.clone()];
    if let Some(more) = rule.get_field_by_name("additional_bindings")
        && let Some(list) = more.as_list()
    {
        bindings.extend(list.iter().filter_map(|v| v.as_message().cloned()));
    }
    let mut out = Vec::new();
    for binding in &bindings {
        match route(binding, method) {
            Ok(route) => out.push(route),
            Err((what, why)) => report.warn(
                file,
                method.path(),
                method.full_name(),
                format!(
                    "HTTP binding `{what}` dropped: {why}; the method is still served over gRPC"
                ),
            ),
        }
    }
    out
}

fn text(rule: &DynamicMessage, name: &str) -> String {
    rule.get_field_by_name(name)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One binding as route arguments, or (the binding in words, why it cannot be one).
fn route(rule: &DynamicMessage, method: &MethodDescriptor) -> Result<String, (String, String)> {
    let verb = ["get", "put", "post", "delete", "patch"]
        .into_iter()
        .find(|v| rule.has_field_by_name(v));
    let Some(verb) = verb else {
        let custom = rule
            .get_field_by_name("custom")
            .and_then(|c| c.as_message().map(|m| (text(m, "kind"), text(m, "path"))));
        let (kind, path) = custom.unwrap_or_default();
        return Err((
            format!("{kind} {path}"),
            "custom HTTP verbs are not supported (get, put, post, delete and patch are)".to_owned(),
        ));
    };
    let path = text(rule, verb);
    let body = text(rule, "body");
    let what = if body.is_empty() {
        format!("{verb} {path}")
    } else {
        format!("{verb} {path} body {body}")
    };
    let fail = |why: String| Err((what.clone(), why));
    if !text(rule, "response_body").is_empty() {
        return fail(
            "response_body is not supported (the reply is always the whole message)".to_owned(),
        );
    }
    let request = method.input();
    let variables = match variables(&path, &request) {
        Ok(v) => v,
        Err(why) => return fail(why),
    };
    if !body.is_empty() && matches!(verb, "get" | "delete") {
        return fail(format!(
            "kratos-rs reads no body on {}",
            verb.to_uppercase()
        ));
    }
    if !body.is_empty() && body != "*" && request.get_field_by_name(&body).is_none() {
        return fail(format!(
            "the body field `{body}` is not a field of {}",
            request.full_name()
        ));
    }
    if method.is_client_streaming() && (verb != "get" || !variables.is_empty() || !body.is_empty())
    {
        return fail("a client- or bidi-streaming method is served as a WebSocket on a GET route without path variables".to_owned());
    }
    let mut args = format!("{verb} = {path:?}");
    if !body.is_empty() {
        args.push_str(&format!(", body = {body:?}"));
    }
    Ok(args)
}

/// The `{field.path}` variables of a path template, checked against the request.
fn variables(path: &str, request: &MessageDescriptor) -> Result<Vec<String>, String> {
    if !path.starts_with('/') {
        return Err("the path does not start with `/`".to_owned());
    }
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        let literal = &rest[..open];
        if literal.contains('*') {
            return Err("wildcards (`*`, `**`) outside a variable are not supported".to_owned());
        }
        if rest.as_bytes()[open] == b'}' {
            return Err("unmatched `}`".to_owned());
        }
        let Some(len) = rest[open + 1..].find('}') else {
            return Err("unclosed `{`".to_owned());
        };
        let name = &rest[open + 1..open + 1 + len];
        if name.contains('=') || name.contains('*') {
            return Err(format!(
                "path patterns like `{{{name}}}` are not supported: only plain variables such as `{{name}}`"
            ));
        }
        // Axum matches whole segments: `{name}:verb` or `v{name}` panics at start.
        if !literal.is_empty() && !literal.ends_with('/') {
            return Err(format!(
                "`{literal}{{{name}}}`: kratos-rs serves a variable only as a whole path segment"
            ));
        }
        let after = &rest[open + len + 2..];
        if !after.is_empty() && !after.starts_with('/') {
            let tail = after.split('/').next().unwrap_or_default();
            return Err(format!(
                "`{{{name}}}{tail}`: kratos-rs serves a variable only as a whole path segment"
            ));
        }
        if out.iter().any(|v| v == name) {
            return Err(format!("`{{{name}}}` appears twice"));
        }
        field_path(request, name)?;
        out.push(name.to_owned());
        rest = &rest[open + len + 2..];
        if rest.starts_with('{') {
            return Err(
                "two variables without a literal between them are not supported".to_owned(),
            );
        }
    }
    if rest.contains('*') {
        return Err("wildcards (`*`, `**`) outside a variable are not supported".to_owned());
    }
    Ok(out)
}

/// Checks that `a.b.c` names a scalar through singular message fields of `request`.
fn field_path(request: &MessageDescriptor, path: &str) -> Result<(), String> {
    let mut message = request.clone();
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Some(field) = message.get_field_by_name(part) else {
            return Err(format!(
                "`{{{path}}}`: {} has no field `{part}`",
                message.full_name()
            ));
        };
        if field.is_list() || field.is_map() {
            return Err(format!("`{{{path}}}`: `{part}` is repeated"));
        }
        match field.kind() {
            Kind::Message(m) if i + 1 < parts.len() => message = m,
            Kind::Message(_) => {
                return Err(format!("`{{{path}}}` names a message, not a value"));
            }
            _ if i + 1 < parts.len() => {
                return Err(format!("`{{{path}}}`: `{part}` is not a message"));
            }
            _ => {}
        }
    }
    Ok(())
}
