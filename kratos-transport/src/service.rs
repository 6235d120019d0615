//! The server and client of a service trait, generic over its method table: what
//! `<Trait>Server<T>` and `<Trait>Client` name.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use kratos_core::stream::Streaming;
use kratos_core::{Context, Error, Method, Middleware, ServiceDescriptor};

use crate::client::Client;
use crate::error::ClientError;
use crate::grpc::{Dispatch, GrpcServer};
use crate::http::HttpServer;
use crate::invoke::ServiceChain;
use crate::table::ServiceTable;

/// Serves an implementation `T` of the service trait whose table is `D`, over HTTP and
/// gRPC: the type `<Trait>Server<T>` that `#[kratos::service]` names.
pub struct ServiceServer<D, T> {
    inner: Arc<T>,
    chain: ServiceChain,
    table: PhantomData<fn() -> D>,
}

impl<D: ServiceTable<T>, T: 'static> ServiceServer<D, T> {
    /// The service's names, methods and routes.
    pub const DESCRIPTOR: &'static ServiceDescriptor = D::DESCRIPTOR;
}

impl<D, T> ServiceServer<D, T> {
    /// Wraps an implementation.
    pub fn new(service: T) -> Self {
        Self::from_arc(Arc::new(service))
    }

    /// Wraps an implementation that is shared elsewhere too.
    pub fn from_arc(service: Arc<T>) -> Self {
        Self {
            inner: service,
            chain: ServiceChain::default(),
            table: PhantomData,
        }
    }

    /// Adds a middleware around every method of this service, inside the server's
    /// middlewares and the ones added before it.
    #[must_use]
    pub fn middleware(self, middleware: impl Middleware) -> Self {
        Self {
            chain: self.chain.with(middleware),
            ..self
        }
    }
}

impl<D, T> Clone for ServiceServer<D, T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            chain: self.chain.clone(),
            table: PhantomData,
        }
    }
}

impl<D: ServiceTable<T>, T: 'static> fmt::Debug for ServiceServer<D, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceServer")
            .field("service", &D::DESCRIPTOR.full_name)
            .field("implementation", &std::any::type_name::<T>())
            .finish()
    }
}

impl<D, T> kratos_core::Service for ServiceServer<D, T>
where
    D: ServiceTable<T>,
    T: Send + Sync + 'static,
{
    fn descriptor(&self) -> &'static ServiceDescriptor {
        D::DESCRIPTOR
    }

    fn mount(&self, server: &mut dyn Any) -> Result<bool, Error> {
        if let Some(http) = server.downcast_mut::<HttpServer>() {
            for entry in D::METHODS {
                (entry.routes)(
                    http.routes_mut(),
                    Arc::clone(&self.inner),
                    self.chain.chain.clone(),
                )?;
            }
            http.describe(D::DESCRIPTOR);
            return Ok(true);
        }
        if let Some(grpc) = server.downcast_mut::<GrpcServer>() {
            grpc.add_dispatch(Dispatch::<D, T>::new(
                Arc::clone(&self.inner),
                self.chain.clone(),
            ));
            return Ok(true);
        }
        Ok(false)
    }
}

/// Calls a remote service whose table is `D` over HTTP or gRPC: the type
/// `<Trait>Client` that `#[kratos::service]` names, which implements the trait.
pub struct ServiceClient<D> {
    inner: Client,
    table: PhantomData<fn() -> D>,
}

impl<D> ServiceClient<D> {
    /// A client over a configured [`Client`] (discovery, filters, balancer).
    pub fn new(client: Client) -> Self {
        Self {
            inner: client,
            table: PhantomData,
        }
    }

    /// A client of the HTTP server at `url` (`http://127.0.0.1:8000`); timeout 2s.
    pub fn http(url: &str) -> Result<Self, ClientError> {
        Client::http(url).map(Self::new)
    }

    /// A client of the gRPC server at `url` (`http://127.0.0.1:9000`); timeout 2s,
    /// connects on first call.
    pub fn grpc(url: &str) -> Result<Self, ClientError> {
        Client::grpc(url).map(Self::new)
    }

    /// Sets the per-call timeout.
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self::new(self.inner.with_timeout(timeout))
    }

    /// Adds a middleware around every call, inside the ones added before it.
    #[must_use]
    pub fn middleware(self, middleware: impl Middleware) -> Self {
        Self::new(self.inner.middleware(middleware))
    }

    /// Calls method `M` for the trait method the client implements, with the error
    /// turned into that method's error type.
    #[doc(hidden)]
    pub async fn call<M: Method, E: From<Error>>(
        &self,
        caller: Option<&Context>,
        request: M::Request,
    ) -> Result<M::Reply, E> {
        self.inner
            .unary::<M>(caller, request)
            .await
            .map_err(E::from)
    }

    /// Calls server-streaming method `M`: one request, a stream of replies.
    #[doc(hidden)]
    pub async fn server_stream<M: Method, E: From<Error>>(
        &self,
        caller: Option<&Context>,
        request: M::Request,
    ) -> Result<Streaming<M::Reply>, E> {
        self.inner
            .stream::<M>(caller, Streaming::once(request))
            .await
            .map_err(E::from)
    }

    /// Calls client-streaming method `M`: a stream of requests, one reply.
    #[doc(hidden)]
    pub async fn client_stream<M: Method, E: From<Error>>(
        &self,
        caller: Option<&Context>,
        requests: Streaming<M::Request>,
    ) -> Result<M::Reply, E> {
        let replies = self.inner.stream::<M>(caller, requests).await?;
        replies.single().await.map_err(E::from)
    }

    /// Calls bidi-streaming method `M`.
    #[doc(hidden)]
    pub async fn bidi_stream<M: Method, E: From<Error>>(
        &self,
        caller: Option<&Context>,
        requests: Streaming<M::Request>,
    ) -> Result<Streaming<M::Reply>, E> {
        self.inner
            .stream::<M>(caller, requests)
            .await
            .map_err(E::from)
    }
}

impl<D> Clone for ServiceClient<D> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone())
    }
}

impl<D> fmt::Debug for ServiceClient<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("client", &self.inner)
            .finish()
    }
}
