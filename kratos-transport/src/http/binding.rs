//! Binding the query and path of an HTTP request to a message (the body is
//! `body.rs`'s) and, for the client, a message to a URL, query and body.

use std::borrow::Cow;

use bytes::Bytes;
use http::HeaderValue;
use kratos_core::encoding::{MAX_DEPTH, set_fields};
use kratos_core::{Error, FieldError, Message, RouteBody, RouteDescriptor};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;

use super::client::JSON;
use super::{http_body, multipart};

/// Bytes that must be escaped inside one path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The axum form of a route's path: variables renamed by position, since a field
/// path such as `user.id` is not a valid axum parameter name.
pub(crate) fn axum_path(route: &RouteDescriptor) -> String {
    let mut out = String::with_capacity(route.path.len());
    let mut rest = route.path;
    let mut index = 0;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push_str(&format!("{{p{index}}}"));
        index += 1;
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn codec_error(what: &str, err: FieldError) -> Error {
    Error::codec(format!("{what}: {err}"))
}

/// Sets every query parameter that names a field (dotted keys for nested fields,
/// repeated keys for lists), as the form codec reads a body; unknown keys are
/// ignored, as in Go kratos, and a key of more than `MAX_DEPTH` names is 400 `CODEC`.
pub(crate) fn bind_query<T: Message>(message: &mut T, query: &str) -> Result<(), Error> {
    set_fields(message, query.as_bytes()).map_err(|e| codec_error("query", e))
}

/// Sets the path variables, in template order, each value as it comes (a value
/// that could not be read stops the binding with its error).
pub(crate) fn bind_path<'v, T: Message>(
    message: &mut T,
    route: &RouteDescriptor,
    values: impl Iterator<Item = Result<Cow<'v, str>, Error>>,
) -> Result<(), Error> {
    for (field, value) in route.params.iter().zip(values) {
        let value = &*value?;
        // Most variables name a top-level field: no list to build for those.
        let set = if field.contains('.') {
            let path: Vec<&str> = field.split('.').collect();
            // A route fixes its variables at compile time, yet the limit is the
            // same for every binding: each name is one level of recursion.
            if path.len() > MAX_DEPTH + 1 {
                return Err(codec_error("path", FieldError::TooDeep));
            }
            message.set_text(&path, value)
        } else {
            message.set_text(std::slice::from_ref(field), value)
        };
        set.map_err(|e| codec_error("path", e))?;
    }
    Ok(())
}

/// Removes and returns the value at a field path (JSON names) of a JSON message.
fn take_field(value: &mut Value, path: &str) -> Option<Value> {
    let (parents, last) = match path.rsplit_once('.') {
        Some((parents, last)) => (Some(parents), last),
        None => (None, path),
    };
    let mut node = value;
    for part in parents.into_iter().flat_map(|p| p.split('.')) {
        node = node.get_mut(part)?;
    }
    node.as_object_mut()?.remove(last)
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_default),
    }
}

fn push_query(out: &mut form_urlencoded::Serializer<'_, String>, key: &str, value: &Value) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| push_query(out, key, item)),
        Value::Object(fields) => {
            for (name, v) in fields {
                push_query(out, &format!("{key}.{name}"), v);
            }
        }
        v if is_default(v) => {}
        v => {
            if let Some(text) = text_of(v) {
                out.append_pair(key, &text);
            }
        }
    }
}

/// What a client sends for one call: path with query, and an optional body with its media type.
pub(crate) struct Outgoing {
    pub(crate) path_and_query: String,
    pub(crate) body: Option<(HeaderValue, Bytes)>,
}

/// Builds the URL path, query string and body of a call, the inverse of the
/// server's binding: a `google.api.HttpBody` request is sent raw, a `body = "*"`
/// request with FilePart fields as `multipart/form-data`, any other as JSON.
pub(crate) fn encode_request<T: Message>(
    route: &RouteDescriptor,
    message: &T,
) -> Result<Outgoing, Error> {
    if http_body::is_http_body(T::descriptor()) {
        // No field of an HttpBody can sit in the path or the query (the route is
        // checked at compile time), so its path is the template.
        return Ok(Outgoing {
            path_and_query: route.path.to_owned(),
            body: Some(http_body::parts(message)?),
        });
    }
    let form = matches!(route.body, RouteBody::All) && multipart::has_file_fields(T::descriptor());
    let (mut value, files) = if form {
        let (rest, files) = multipart::split_files(message)?;
        (json_value(&rest)?, files)
    } else {
        (json_value(message)?, Vec::new())
    };
    let mut path = String::with_capacity(route.path.len() + 16);
    let mut rest = route.path;
    let mut params = route.params.iter();
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let field = params.next().copied().unwrap_or_default();
        let text = take_field(&mut value, field)
            .as_ref()
            .and_then(text_of)
            .unwrap_or_default();
        path.extend(utf8_percent_encode(&text, SEGMENT));
        rest = rest.get(close + 1..).unwrap_or("");
    }
    path.push_str(rest);

    let body = match route.body {
        RouteBody::None => None,
        RouteBody::All => Some(std::mem::take(&mut value)),
        RouteBody::Field(field) => take_field(&mut value, field).or(Some(Value::Null)),
    };
    let query = query_of(&value);
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query);
    }
    let body = match body {
        // Text parts carry the other fields by the query string's rules, as the
        // server reads them.
        Some(fields) if form => Some(multipart::encode(&query_of(&fields), files)),
        Some(body) => {
            let json = serde_json::to_vec(&body)
                .map_err(|e| Error::codec(format!("request marshal: {e}")))?;
            Some((JSON, Bytes::from(json)))
        }
        None => None,
    };
    Ok(Outgoing {
        path_and_query: path,
        body,
    })
}

/// `message` as a JSON value, the form the path and query are taken from.
fn json_value<T: Message>(message: &T) -> Result<Value, Error> {
    serde_json::to_value(message)
        .map_err(|e| Error::codec(format!("request marshal: {e}")).with_cause(e))
}

/// The query string of the fields of the JSON object `value` (empty for any other value).
fn query_of(value: &Value) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Value::Object(fields) = value {
        for (name, v) in fields {
            push_query(&mut query, name, v);
        }
    }
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kratos_core::HttpMethod;

    #[test]
    fn axum_path_renames_variables_by_position() {
        let route = RouteDescriptor {
            method: HttpMethod::Get,
            path: "/v1/users/{user.id}/books/{name}",
            params: &["user.id", "name"],
            body: RouteBody::None,
            status: 200,
            max_body: None,
        };
        assert_eq!(axum_path(&route), "/v1/users/{p0}/books/{p1}");
    }
}
