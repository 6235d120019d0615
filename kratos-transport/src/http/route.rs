//! The route table of an HTTP server and the generic handler behind every route.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};
use http::header::{ALLOW, HeaderMap, HeaderValue};
use kratos_core::descriptor::MessageDescriptor;
use kratos_core::{
    Chain, Error, Handler, HttpMethod, MethodDescriptor, RouteBody, RouteDescriptor,
};

use super::binding::axum_path;
use super::http_body;
use super::multipart;
use super::state::HttpState;
use crate::serve::{DirectHandler, DirectRoutes};

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
pub(super) fn variable_segments(template: &str) -> Box<[usize]> {
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
        self.add_routes(M::DESCRIPTOR, service, chain, super::call::handle::<M, S>)
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
