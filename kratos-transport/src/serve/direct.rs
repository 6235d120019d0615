//! Direct dispatch: a request for a generated HTTP route or gRPC method goes from
//! the connection straight to its handler, matched by path and verb, instead of
//! through axum's router (tonic's routes are one too), which per request boxes the handler's future behind its service
//! layers, allocates the path parameters into the request's extensions and
//! measures a body the connection measures anyway. Everything else goes to the
//! router as before: hand-written routes and tonic services added as they are,
//! `HEAD`, a verb its path does not bind (405), unknown paths (404), and every
//! request of a server with tower layers (they wrap the router, so nothing may
//! pass them by).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use http::{Method, Request};
use kratos_core::app::BoxFuture;

use crate::grpc;

/// A generated route's or method's handler.
#[derive(Clone)]
pub(crate) enum DirectHandler {
    /// An HTTP route, called with the request as the router would hand it.
    Http(Arc<dyn Fn(Request<Body>) -> BoxFuture<'static, Response> + Send + Sync>),
    /// A gRPC method, called with the request as tonic's routes would hand it.
    Grpc(Arc<dyn Fn(grpc::Request) -> grpc::ResponseFuture + Send + Sync>),
}

/// The paths of one server with the verbs each serves directly.
#[derive(Default)]
pub(crate) struct DirectRoutes {
    paths: matchit::Router<usize>,
    verbs: Vec<Vec<(Method, DirectHandler)>>,
}

impl DirectRoutes {
    /// Adds `path` (axum's syntax) with the handlers of the verbs served directly.
    /// A path with none (a hand-written route) is still added: the router prefers
    /// a static segment to a variable, and so must this table, or a hand-written
    /// `/v1/users/me` would be answered by the generated `/v1/users/{id}`.
    pub(crate) fn insert(
        &mut self,
        path: &str,
        verbs: Vec<(Method, DirectHandler)>,
    ) -> Result<(), matchit::InsertError> {
        self.paths.insert(path, self.verbs.len())?;
        self.verbs.push(verbs);
        Ok(())
    }

    /// The handler of `method` on `path`, when it is served directly.
    pub(crate) fn find(&self, method: &Method, path: &str) -> Option<&DirectHandler> {
        let matched = self.paths.at(path).ok()?;
        self.verbs[*matched.value]
            .iter()
            .find(|(verb, _)| verb == method)
            .map(|(_, handler)| handler)
    }
}

/// What a listener serves: the router, and the routes it may call directly.
pub(crate) struct Routing {
    /// Every route, the fallbacks and the layers.
    pub(crate) router: Router,
    /// `None` when every request must go through the router.
    pub(crate) direct: Option<Arc<DirectRoutes>>,
}

impl From<Router> for Routing {
    fn from(router: Router) -> Self {
        Self {
            router,
            direct: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler() -> DirectHandler {
        DirectHandler::Http(Arc::new(|_| {
            Box::pin(async { Response::new(Body::empty()) })
        }))
    }

    #[test]
    fn static_paths_win_and_unknown_verbs_fall_through() {
        let mut routes = DirectRoutes::default();
        routes
            .insert("/v1/users/{p0}", vec![(Method::GET, handler())])
            .unwrap();
        routes.insert("/v1/users/me", Vec::new()).unwrap();
        assert!(routes.find(&Method::GET, "/v1/users/42").is_some());
        assert!(routes.find(&Method::GET, "/v1/users/me").is_none());
        assert!(routes.find(&Method::HEAD, "/v1/users/42").is_none());
        assert!(routes.find(&Method::POST, "/v1/users/42").is_none());
        assert!(routes.find(&Method::GET, "/v1/users").is_none());
        assert!(routes.find(&Method::GET, "/v1/users/42/x").is_none());
    }
}
