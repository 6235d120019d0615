//! The opt-in OpenAPI 3 document of an HTTP server's routes, generated from the
//! descriptors of the services mounted on it and served as JSON at the path the
//! config or [`super::HttpServer::openapi`] names (off by default).

use axum::response::IntoResponse;
use http::header::{CONTENT_TYPE, HeaderValue};
use kratos_core::{Error, HttpMethod, ServiceDescriptor};

use super::route::RouteTable;

/// Where and how to serve the document.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenApi {
    /// The path, e.g. `/q/openapi.json`; `None` serves nothing.
    pub(crate) path: Option<String>,
    /// `info.title`.
    pub(crate) title: String,
    /// `info.version`.
    pub(crate) version: String,
}

impl OpenApi {
    /// Adds the document's route for `services`, if a path is set.
    pub(crate) fn mount(
        &self,
        routes: &mut RouteTable,
        services: &[&'static ServiceDescriptor],
    ) -> Result<(), Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let title = if self.title.is_empty() {
            "kratos"
        } else {
            &self.title
        };
        let version = if self.version.is_empty() {
            "0.0.0"
        } else {
            &self.version
        };
        let document = kratos_core::descriptor::openapi::openapi(services, title, version);
        let body = bytes::Bytes::from(serde_json::to_vec_pretty(&document).map_err(|e| {
            Error::internal_server("OPENAPI", format!("cannot write the OpenAPI document: {e}"))
        })?);
        // One string per server start: the operation name outlives the router.
        let operation: &'static str = Box::leak(path.clone().into_boxed_str());
        routes.add_raw(HttpMethod::Get, path, operation, move || {
            let body = body.clone();
            async move {
                (
                    [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                    body,
                )
                    .into_response()
            }
        })
    }
}
