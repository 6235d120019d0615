//! The route table of an HTTP server and the generic handler behind every route.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};
use http::StatusCode;
use http::header::{ALLOW, CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::descriptor::MessageDescriptor;
use kratos_core::error::REASON_CODEC;
use kratos_core::{
    Chain, Context, Error, Handler, HttpMethod, HttpRequestLine, Kind, Message, Method,
    MethodDescriptor, RouteBody, RouteDescriptor, encoding,
};

use super::binding::{axum_path, bind_path, bind_query};
use super::body::bind_body;
use super::http_body;
use super::multipart;
use super::state::{HttpState, body_too_large, requested_timeout};
use crate::invoke::{effective_timeout, invoke};
use crate::serve::{BodyTimeout, DirectHandler, DirectRoutes};

/// Builds one route's handler once the server's state is known, at start: for the
/// router, and for a generated route also the handler called without it.
type RouteFactory =
    Box<dyn Fn(&Arc<HttpState>) -> (MethodRouter, Option<DirectHandler>) + Send + Sync>;

/// The routes of one HTTP server, grouped by path so each path answers 405 for
/// verbs it does not bind.
#[derive(Default)]
pub struct RouteTable {
    paths: BTreeMap<String, PathRoutes>,
}

struct PathRoutes {
    template: String,
    factories: Vec<RouteFactory>,
    methods: Vec<HttpMethod>,
}

/// What a route's handler needs, shared by its calls: one reference count per call.
pub(super) struct Route<S> {
    pub(super) service: Arc<S>,
    pub(super) chain: Chain,
    pub(super) http: Arc<HttpState>,
    pub(super) route: &'static RouteDescriptor,
    /// How the request arrives on this route, from its message's type, decided once.
    pub(super) form: RequestForm,
    /// Whether the reply is a `google.api.HttpBody`, written raw.
    pub(super) raw_reply: bool,
    /// For each path variable, in template order, the index of the path segment it
    /// fills: a variable always fills a whole segment, so the router's match is
    /// read from the request's path without asking the router for it.
    pub(super) segments: Box<[usize]>,
}

/// The segment indexes (`/`-separated, the leading empty one counted) of the
/// variables of `template`, in order.
fn variable_segments(template: &str) -> Box<[usize]> {
    template
        .split('/')
        .enumerate()
        .filter(|(_, segment)| segment.starts_with('{'))
        .map(|(index, _)| index)
        .collect()
}

/// How a route reads its request body: decided at start from the request type,
/// so no call asks the descriptor again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RequestForm {
    /// Through the codec the `Content-Type` names.
    Codec,
    /// The raw body into a `google.api.HttpBody`.
    HttpBody,
    /// `multipart/form-data` only: a `body = "*"` route whose message has FilePart fields.
    Multipart,
}

impl RequestForm {
    fn of(route: &RouteDescriptor, request: &MessageDescriptor) -> Self {
        if http_body::is_http_body(request) {
            RequestForm::HttpBody
        } else if matches!(route.body, RouteBody::All) && multipart::has_file_fields(request) {
            RequestForm::Multipart
        } else {
            RequestForm::Codec
        }
    }
}

/// The request method of a route's verb.
fn verb(method: HttpMethod) -> http::Method {
    match method {
        HttpMethod::Get => http::Method::GET,
        HttpMethod::Post => http::Method::POST,
        HttpMethod::Put => http::Method::PUT,
        HttpMethod::Patch => http::Method::PATCH,
        HttpMethod::Delete => http::Method::DELETE,
    }
}

fn filter(method: HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Delete => MethodFilter::DELETE,
    }
}

impl RouteTable {
    fn insert(
        &mut self,
        method: HttpMethod,
        template: &str,
        path: String,
        operation: &str,
        factory: RouteFactory,
    ) -> Result<(), Error> {
        match self.paths.get_mut(&path) {
            Some(existing) if existing.methods.contains(&method) => Err(Error::internal_server(
                "ROUTE_CONFLICT",
                format!(
                    "{} {template} of {operation} is already bound to another method (path {})",
                    method.as_str(),
                    existing.template
                ),
            )),
            Some(existing) => {
                existing.factories.push(factory);
                existing.methods.push(method);
                Ok(())
            }
            None => {
                self.paths.insert(
                    path,
                    PathRoutes {
                        template: template.to_owned(),
                        factories: vec![factory],
                        methods: vec![method],
                    },
                );
                Ok(())
            }
        }
    }

    /// Adds the routes of method `M`, served by `service` through the service's
    /// middlewares `chain`. Two routes on the same verb and path (from two services)
    /// are an error.
    pub fn add<M, S>(&mut self, service: Arc<S>, chain: Chain) -> Result<(), Error>
    where
        M: Handler<S>,
        S: Send + Sync + 'static,
    {
        self.add_routes(M::DESCRIPTOR, service, chain, handle::<M, S>)
    }

    /// Adds every route of `method`, each answered by `handler`.
    pub(super) fn add_routes<S, F, Fut>(
        &mut self,
        method: &'static MethodDescriptor,
        service: Arc<S>,
        chain: Chain,
        handler: F,
    ) -> Result<(), Error>
    where
        S: Send + Sync + 'static,
        F: Fn(Arc<Route<S>>, Request) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        for route in method.routes {
            let (service, chain) = (service.clone(), chain.clone());
            let factory: RouteFactory = Box::new(move |http| {
                let state = Arc::new(Route {
                    service: service.clone(),
                    chain: chain.clone(),
                    http: http.clone(),
                    route,
                    form: RequestForm::of(route, (method.request)()),
                    raw_reply: http_body::is_http_body((method.reply)()),
                    segments: variable_segments(route.path),
                });
                let direct = {
                    let state = state.clone();
                    DirectHandler::Http(Arc::new(move |request| {
                        Box::pin(handler(state.clone(), request))
                    }))
                };
                let routed = on(filter(route.method), move |request: Request| {
                    handler(state.clone(), request)
                });
                (routed, Some(direct))
            });
            self.insert(
                route.method,
                route.path,
                axum_path(route),
                method.operation,
                factory,
            )?;
        }
        Ok(())
    }

    /// Adds a hand-written route: `handler` (any axum handler) answers `method path`,
    /// and the call goes through the server's middlewares under `operation`, which
    /// they see as the operation name. Its request and reply travel the chain as the
    /// raw `http::Request` and `http::Response`.
    pub fn add_raw<H, T>(
        &mut self,
        method: HttpMethod,
        path: &str,
        operation: &'static str,
        handler: H,
    ) -> Result<(), Error>
    where
        H: axum::handler::Handler<T, ()> + Sync,
        T: 'static,
    {
        if let Some(segment) = path
            .split('/')
            .find(|s| s.contains('{') && !(s.starts_with('{') && s.ends_with('}')))
        {
            // The router would refuse it with a panic at start.
            return Err(Error::internal_server(
                "ROUTE_INVALID",
                format!(
                    "{} {path} of {operation}: a variable fills its whole path segment, `{segment}` cannot be routed",
                    method.as_str()
                ),
            ));
        }
        // Spans and logs name the template; a route is added once per server, so
        // keeping its text for the life of the process costs that once.
        let template: &'static str = Box::leak(path.to_owned().into_boxed_str());
        let factory: RouteFactory = Box::new(move |http| {
            let (http, handler) = (http.clone(), handler.clone());
            // The raw handler caps the body at the server's limit itself; axum's
            // extractors must not cut it at their own 2 MB first.
            let routed = on(filter(method), move |request: Request| {
                super::raw::handle(http.clone(), operation, template, handler.clone(), request)
            })
            .layer(DefaultBodyLimit::disable());
            (routed, None)
        });
        self.insert(method, path, path.to_owned(), operation, factory)
    }

    /// Adds a GET route answered by `handler` outside every middleware: for what
    /// the server serves about itself (the metrics scrape), which no call chain
    /// should count, log or refuse.
    #[cfg(feature = "metrics")]
    pub(crate) fn add_unchained<H, T>(&mut self, path: &str, handler: H)
    where
        H: axum::handler::Handler<T, ()> + Sync,
        T: 'static,
    {
        let factory: RouteFactory =
            Box::new(move |_| (on(filter(HttpMethod::Get), handler.clone()), None));
        if let Err(error) = self.insert(HttpMethod::Get, path, path.to_owned(), path, factory) {
            tracing::warn!(path, %error, "route not added");
        }
    }

    /// The axum router (every path, 405 for a known path with another verb, 404
    /// for the rest) and the generated routes' handlers to call without it (`None`
    /// if a path cannot be matched the router's way, when the router is then
    /// asked every time).
    pub(crate) fn build(&self, http: &Arc<HttpState>) -> (Router, Option<DirectRoutes>) {
        let mut router = Router::new();
        let mut direct = Some(DirectRoutes::default());
        for (path, routes) in &self.paths {
            let allow = routes
                .methods
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let allow = HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static(""));
            let mut methods = MethodRouter::new();
            let mut verbs = Vec::new();
            for (factory, method) in routes.factories.iter().zip(&routes.methods) {
                let (routed, handler) = factory(http);
                methods = methods.merge(routed);
                verbs.extend(handler.map(|handler| (verb(*method), handler)));
            }
            if let Some(table) = &mut direct
                && let Err(error) = table.insert(path, verbs)
            {
                tracing::debug!(path, %error, "routes served through the router only");
                direct = None;
            }
            let state = http.clone();
            let methods = methods.fallback(move |request: Request| {
                let (allow, state) = (allow.clone(), state.clone());
                async move {
                    let error = Error::new(
                        405,
                        "METHOD_NOT_ALLOWED",
                        format!(
                            "method {} is not allowed on {}",
                            request.method(),
                            request.uri().path()
                        ),
                    );
                    let mut headers = HeaderMap::new();
                    headers.insert(ALLOW, allow);
                    state.encoders.error(request.headers(), &error, headers)
                }
            });
            router = router.route(path, methods);
        }
        let state = http.clone();
        let router = router.fallback(move |request: Request| async move {
            let error = Error::not_found(
                "NOT_FOUND",
                format!("no route for {} {}", request.method(), request.uri().path()),
            );
            state
                .encoders
                .error(request.headers(), &error, HeaderMap::new())
        });
        (router, direct)
    }
}

/// One HTTP call of method `M`: bind, run the chain under the timeout, answer.
///
/// What needs no waiting (the context, and the whole request of a route without a
/// body) is done before the call's future exists, so the future holds only what
/// the call awaits: it is moved and boxed on every request, and its size is what
/// those moves and that allocation cost.
fn handle<M, S>(
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
    fn reads_body(&self) -> bool {
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
