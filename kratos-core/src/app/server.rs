//! The [`Server`] trait: what the application starts and stops. The HTTP and gRPC
//! servers of `kratos-transport` implement it; so can any user type.

use std::any::Any;
use std::time::Duration;

use crate::BoxFuture;
use crate::descriptor::ServiceDescriptor;
use crate::error::Error;

/// A transport server run by the [`crate::App`].
pub trait Server: Send + 'static {
    /// The URL scheme of its endpoint: `"http"`, `"grpc"`.
    fn kind(&self) -> &'static str;

    /// Binds and starts serving; resolves once the server accepts connections, so
    /// that [`Server::endpoint`] reports the bound address.
    fn start(&mut self) -> BoxFuture<'_, Result<(), Error>>;

    /// Stops accepting, lets in-flight calls finish for up to `timeout`, then drops
    /// what is left.
    fn stop(&mut self, timeout: Duration) -> BoxFuture<'_, Result<(), Error>>;

    /// The URL clients reach it at (`http://127.0.0.1:8000`), once started.
    fn endpoint(&self) -> Option<String>;

    /// The URL registered for other machines: as [`Server::endpoint`], except that a
    /// server bound to an unspecified address (`0.0.0.0`) names `host` if given,
    /// else this machine's outbound address.
    fn advertised_endpoint(&self, host: Option<&str>) -> Option<String> {
        let _ = host;
        self.endpoint()
    }

    /// The services it serves, however they were added; the app lists them in its
    /// start-up log, its `.proto` export and its registration.
    fn services(&self) -> Vec<&'static ServiceDescriptor> {
        Vec::new()
    }

    /// The concrete server, so [`crate::Service::mount`] can add adapters to it.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}
