//! Mounting a generated service on whichever kratos server it is handed.

use std::any::Any;

use kratos_core::Error;

use crate::grpc::{BindServer, GrpcServer, GrpcService};
use crate::http::{HttpServer, HttpService};

/// Adds `service` to `server` when `server` is an [`HttpServer`] or a [`GrpcServer`];
/// `#[kratos::service]` implements `Service::mount` with this.
pub fn mount<S>(service: &S, server: &mut dyn Any) -> Result<bool, Error>
where
    S: HttpService + GrpcService + BindServer + kratos_core::Service,
{
    if let Some(http) = server.downcast_mut::<HttpServer>() {
        service.register_routes(http.routes_mut())?;
        http.describe(service.descriptor());
        return Ok(true);
    }
    if let Some(grpc) = server.downcast_mut::<GrpcServer>() {
        grpc.add_kratos_service(service.clone());
        return Ok(true);
    }
    Ok(false)
}
