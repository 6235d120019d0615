//! The route table of an HTTP server and the generic handler behind every route.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};
use http::StatusCode;
use http::header::{ALLOW, CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::{Context, Error, Handler, HttpMethod, Kind, Method, RouteDescriptor};

use super::binding::{axum_path, bind_body, bind_path, bind_query};
use super::reply::{error_response, json_response};
use crate::deadline::CallTimeout;
use crate::invoke::invoke;

/// The largest request body the server reads: 4 MiB, gRPC's default message limit.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A service that has HTTP routes: `#[kratos::service]` writes this for `<Trait>Server<T>`.
pub trait HttpService {
    /// Adds every route of every method to `table`.
    fn register_routes(&self, table: &mut RouteTable) -> Result<(), Error>;
}

/// The routes of one HTTP server, grouped by path so each path answers 405 for
/// verbs it does not bind.
#[derive(Default)]
pub struct RouteTable {
    paths: BTreeMap<String, PathRoutes>,
}

struct PathRoutes {
    template: &'static str,
    router: MethodRouter,
    methods: Vec<HttpMethod>,
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
    /// Adds the routes of method `M`, served by `service`. Two routes on the same
    /// verb and path (from two services) are an error.
    pub fn add<M, S>(&mut self, service: Arc<S>) -> Result<(), Error>
    where
        M: Handler<S>,
        S: Send + Sync + 'static,
    {
        for route in M::DESCRIPTOR.routes {
            let service = service.clone();
            let handler = on(filter(route.method), move |request: Request| {
                handle::<M, S>(service, route, request)
            });
            let path = axum_path(route);
            match self.paths.get_mut(&path) {
                Some(existing) if existing.methods.contains(&route.method) => {
                    return Err(Error::internal_server(
                        "ROUTE_CONFLICT",
                        format!(
                            "{} {} of {} is already bound to another method (path {})",
                            route.method.as_str(),
                            route.path,
                            M::DESCRIPTOR.operation,
                            existing.template
                        ),
                    ));
                }
                Some(existing) => {
                    existing.router = std::mem::take(&mut existing.router).merge(handler);
                    existing.methods.push(route.method);
                }
                None => {
                    self.paths.insert(
                        path,
                        PathRoutes {
                            template: route.path,
                            router: handler,
                            methods: vec![route.method],
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// The axum router: every path, 405 for a known path with another verb, 404 for the rest.
    pub(crate) fn router(&self, timeout: Duration) -> Router {
        let mut router = Router::new();
        for (path, routes) in &self.paths {
            let allow = routes
                .methods
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let allow = HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static(""));
            let methods = routes.router.clone().fallback(move |request: Request| {
                let allow = allow.clone();
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
                    error_response(&error, headers)
                }
            });
            router = router.route(path, methods);
        }
        router
            .fallback(|request: Request| async move {
                let error = Error::not_found(
                    "NOT_FOUND",
                    format!("no route for {} {}", request.method(), request.uri().path()),
                );
                error_response(&error, HeaderMap::new())
            })
            .layer(axum::Extension(CallTimeout(timeout)))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(value) => {
            let essence = value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence.is_empty()
                || essence == "application/json"
                || essence == "text/json"
                || essence.ends_with("+json")
                || essence == "*/*"
        }
    }
}

/// One HTTP call of method `M`: bind, call with the server timeout, answer.
async fn handle<M, S>(
    service: Arc<S>,
    route: &'static RouteDescriptor,
    request: Request,
) -> Response
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    let (mut parts, body) = request.into_parts();
    let timeout = CallTimeout::of(&parts.extensions);
    let mut message = <M as Method>::Request::default();
    let bound: Result<(), Error> = async {
        if !matches!(route.body, kratos_core::RouteBody::None) {
            if !is_json(&parts.headers) {
                let media = parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                return Err(Error::new(
                    415,
                    kratos_core::error::REASON_CODEC,
                    format!("unsupported Content-Type {media:?}: send application/json"),
                ));
            }
            let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
                .await
                .map_err(body_read_error)?;
            bind_body(&mut message, route.body, &bytes)?;
        }
        if let Some(query) = parts.uri.query() {
            bind_query(&mut message, query)?;
        }
        if !route.params.is_empty() {
            let params = RawPathParams::from_request_parts(&mut parts, &())
                .await
                .map_err(|e| Error::codec(format!("path: {e}")))?;
            bind_path(&mut message, route, params.iter().map(|(_, v)| v))?;
        }
        Ok(())
    }
    .await;
    if let Err(error) = bound {
        return error_response(&error, HeaderMap::new());
    }

    let ctx = Context::new(Kind::Http, M::DESCRIPTOR.operation, parts.headers)
        .with_deadline(Some(Instant::now() + timeout));
    let result = invoke::<M, S>(&service, &ctx, message, timeout).await;
    let headers = ctx.take_reply_headers();
    match result {
        Ok(reply) => match serde_json::to_vec(&reply) {
            Ok(body) => {
                let status = StatusCode::from_u16(route.status).unwrap_or(StatusCode::OK);
                json_response(status, body, headers)
            }
            Err(e) => error_response(
                &Error::internal_server("CODEC", format!("reply marshal: {e}")),
                headers,
            ),
        },
        Err(error) => error_response(&error, headers),
    }
}

/// A body that could not be read: 413 when it exceeds [`MAX_BODY_BYTES`], else 400 `CODEC`.
fn body_read_error(err: axum::Error) -> Error {
    let inner = err.into_inner();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&*inner);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return Error::new(
                413,
                "PAYLOAD_TOO_LARGE",
                format!("request body exceeds {MAX_BODY_BYTES} bytes"),
            );
        }
        source = e.source();
    }
    Error::codec(format!("body unmarshal: cannot read body: {inner}"))
}
