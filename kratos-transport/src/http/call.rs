//! One call of a generated HTTP route: the context, the request bound from the
//! body, query string and path (in Go kratos's order), the method run through its
//! chain, the reply or error written with the negotiated codec.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap};
use kratos_core::error::REASON_CODEC;
use kratos_core::{
    Context, Error, Handler, HttpRequestLine, Kind, Message, Method, RouteBody, RouteDescriptor,
    encoding,
};

use super::binding::{bind_path, bind_query};
use super::body::bind_body;
use super::http_body;
use super::multipart;
use super::route::{RequestForm, Route};
use super::state::{HttpState, body_too_large, requested_timeout};
use crate::invoke::{effective_timeout, invoke};
use crate::serve::BodyTimeout;

/// One HTTP call of method `M`: bind, run the chain under the timeout, answer.
///
/// What needs no waiting (the context, and the whole request of a route without a
/// body) is done before the call's future exists, so the future holds only what
/// the call awaits: it is moved and boxed on every request, and its size is what
/// those moves and that allocation cost.
pub(super) fn handle<M, S>(
    state: Arc<Route<S>>,
    request: Request,
) -> impl Future<Output = Response> + Send + 'static
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    let (parts, body) = request.into_parts();
    let http = &state.http;
    let timeout = effective_timeout(http.server.timeout, requested_timeout(&parts.headers));
    let mut ctx = call_context(M::DESCRIPTOR.operation, state.route.path, http, parts)
        .with_deadline(Some(Instant::now() + timeout));
    ctx.set_reply_status(state.route.status);
    let bound = match state.reads_body() {
        true => Err(body),
        false => Ok(bind_url::<M::Request, S>(
            &state,
            ctx.http().map(|line| &line.uri),
            M::Request::default(),
        )),
    };
    async move {
        let http = &state.http;
        let message = match bound {
            Ok(message) => message,
            Err(body) => {
                let uri = ctx.http().map(|line| &line.uri);
                bind_with_body::<M::Request, S>(&state, ctx.request_headers(), uri, body).await
            }
        };
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                return http
                    .encoders
                    .error(ctx.request_headers(), &error, HeaderMap::new());
            }
        };
        let result = invoke::<M, S>(
            &state.service,
            &http.server,
            &state.chain,
            &mut ctx,
            message,
            timeout,
        )
        .await;
        let headers = ctx.take_reply_headers();
        match result {
            Ok(reply) => {
                let status = StatusCode::from_u16(ctx.reply_status()).unwrap_or(StatusCode::OK);
                if state.raw_reply {
                    return http_body::response(&reply, status, headers).unwrap_or_else(|error| {
                        http.encoders
                            .error(ctx.request_headers(), &error, HeaderMap::new())
                    });
                }
                http.encoders
                    .reply(ctx.request_headers(), status, &reply, headers)
            }
            Err(error) => http.encoders.error(ctx.request_headers(), &error, headers),
        }
    }
}

/// The context of one call of `operation` on the route `template` of `http`'s
/// server: the request's headers, its line and the caller's address.
pub(super) fn call_context(
    operation: &'static str,
    template: &'static str,
    http: &HttpState,
    parts: http::request::Parts,
) -> Context {
    let peer = crate::serve::peer();
    let line = HttpRequestLine::new(parts.method, template, parts.uri);
    Context::new(Kind::Http, operation, parts.headers)
        .with_endpoint(http.server.endpoint.clone())
        .with_peer(peer)
        .with_http(line)
}

impl<S> Route<S> {
    /// Whether a call of this route reads its body before its request is whole.
    pub(super) fn reads_body(&self) -> bool {
        self.form != RequestForm::Codec || !matches!(self.route.body, RouteBody::None)
    }
}

/// The request message of `state`'s route: the body (as the route binds it), then
/// the query string, then the path variables.
pub(super) async fn bind<M: Method, S>(
    state: &Route<S>,
    headers: &HeaderMap,
    uri: &http::Uri,
    body: axum::body::Body,
) -> Result<M::Request, Error> {
    if state.reads_body() {
        bind_with_body::<M::Request, S>(state, headers, Some(uri), body).await
    } else {
        bind_url::<M::Request, S>(state, Some(uri), M::Request::default())
    }
}

/// The request message of a route that reads its body: the body first, then the
/// query string and path variables over it.
async fn bind_with_body<T: Message, S>(
    state: &Route<S>,
    headers: &HeaderMap,
    uri: Option<&http::Uri>,
    body: axum::body::Body,
) -> Result<T, Error> {
    let (route, http) = (state.route, &state.http);
    // The route's own limit, when it names one, in place of the server's.
    let limit = route.max_body.unwrap_or(http.max_body);
    let read = |body: axum::body::Body| async move {
        axum::body::to_bytes(body, limit)
            .await
            .map_err(|e| body_read_error(e, limit, route))
    };
    let mut message = T::default();
    match state.form {
        // The body as it came, whatever its media type: no codec, no query or path fields.
        RequestForm::HttpBody => return http_body::request(headers, read(body).await?),
        RequestForm::Multipart => {
            multipart::require(T::descriptor(), headers)?;
            // Parsed as it arrives: only the parts' contents are held, never the
            // whole body beside them. Boxed: a form's parser is by far the largest
            // future a call can await, and only this route's calls should carry it.
            let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
            Box::pin(multipart::bind(&mut message, headers, body, |e| {
                read_failure(e, limit, route)
            }))
            .await?;
        }
        RequestForm::Codec => {
            let content_type = headers
                .get(CONTENT_TYPE)
                // A header that is not text names no codec: report it as unsupported.
                .map(|v| v.to_str().unwrap_or("(not text)"));
            let codec = encoding::for_content_type(content_type)
                .map_err(|e| Error::new(415, REASON_CODEC, e.to_string()))?;
            bind_body(&mut message, route.body, &codec, &read(body).await?).await?;
        }
    }
    bind_url::<T, S>(state, uri, message)
}

/// Sets `message`'s fields from the query string, then from the path variables,
/// read from the request's path by the segments they fill.
fn bind_url<T: Message, S>(
    state: &Route<S>,
    uri: Option<&http::Uri>,
    mut message: T,
) -> Result<T, Error> {
    let Some(uri) = uri else {
        return Ok(message);
    };
    if let Some(query) = uri.query() {
        bind_query(&mut message, query)?;
    }
    if !state.segments.is_empty() {
        let path = uri.path();
        let values = state
            .segments
            .iter()
            .map(|&index| path_value(nth_segment(path, index)));
        bind_path(&mut message, state.route, values)?;
    }
    Ok(message)
}

/// The `index`th `/`-separated segment of `path` (empty past its end).
fn nth_segment(path: &str, index: usize) -> &str {
    // Paths are short: a byte loop beats a searcher's setup per segment.
    let bytes = path.as_bytes();
    let (mut seen, mut start) = (0, 0);
    for (at, &byte) in bytes.iter().enumerate() {
        if byte == b'/' {
            if seen == index {
                return &path[start..at];
            }
            seen += 1;
            start = at + 1;
        }
    }
    if seen == index { &path[start..] } else { "" }
}

/// One path segment, percent-decoded; refused when the bytes it decodes to are not UTF-8.
fn path_value(segment: &str) -> Result<Cow<'_, str>, Error> {
    if !segment.contains('%') {
        return Ok(Cow::Borrowed(segment));
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| {
            Error::codec(format!(
                "path: `{segment}` is not UTF-8 once percent-decoded"
            ))
        })
}

/// A body that could not be read: 413 when it exceeds `max_body`, 408 when it did
/// not arrive within the body read timeout, else 400 `CODEC`.
fn body_read_error(err: axum::Error, max_body: usize, route: &RouteDescriptor) -> Error {
    let inner = err.into_inner();
    read_failure(&*inner, max_body, route)
        .unwrap_or_else(|| Error::codec(format!("body unmarshal: cannot read body: {inner}")))
}

/// What a failed body read means when `err` (or an error under it) says: 413 past
/// the limit, 408 when the body came too late; `None` for anything else.
pub(super) fn read_failure(
    err: &(dyn std::error::Error + 'static),
    max_body: usize,
    route: &RouteDescriptor,
) -> Option<Error> {
    let mut source = Some(err);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return Some(match route.max_body {
                Some(limit) => Error::new(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    format!("request body exceeds {limit} bytes (the route's max_body)"),
                ),
                None => body_too_large(max_body),
            });
        }
        if let Some(late) = e.downcast_ref::<BodyTimeout>() {
            return Some(Error::new(408, "REQUEST_TIMEOUT", late.to_string()));
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::route::variable_segments;

    #[test]
    fn segments_of_a_path_by_index() {
        let path = "/v1/users/42/books/b%20c";
        assert_eq!(
            variable_segments("/v1/users/{id}/books/{name}"),
            [3, 5].into()
        );
        assert_eq!(nth_segment(path, 0), "");
        assert_eq!(nth_segment(path, 3), "42");
        assert_eq!(nth_segment(path, 5), "b%20c");
        assert_eq!(nth_segment(path, 6), "");
        assert_eq!(nth_segment("/a/", 2), "");
        assert_eq!(path_value("b%20c").unwrap(), "b c");
        assert!(path_value("%FF").is_err());
    }
}
