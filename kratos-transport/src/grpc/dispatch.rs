//! The gRPC side of a service trait: one tower service per mounted service that
//! finds the called method in the trait's table and hands the call to its entry.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::server::NamedService;

use super::adapter::{Request, Response, ResponseFuture, unimplemented};
use crate::invoke::{ServerState, ServiceChain};
use crate::serve::DirectHandler;
use crate::table::ServiceTable;

/// Serves every method of the service whose table is `D`, implemented by `T`.
pub(crate) struct Dispatch<D, T> {
    service: Arc<T>,
    chain: ServiceChain,
    table: PhantomData<fn() -> D>,
}

impl<D, T> Dispatch<D, T> {
    pub(crate) fn new(service: Arc<T>, chain: ServiceChain) -> Self {
        Self {
            service,
            chain,
            table: PhantomData,
        }
    }

    /// This service as served by a server with `state` (timeout, middlewares).
    pub(crate) fn bound(&self, state: &Arc<ServerState>) -> Self {
        let mut chain = self.chain.clone();
        chain.server = Arc::clone(state);
        Self::new(Arc::clone(&self.service), chain)
    }
}

impl<D, T> Dispatch<D, T>
where
    D: ServiceTable<T>,
    T: Send + Sync + 'static,
{
    /// Each method's path and its handler, for calls that bypass the router.
    pub(crate) fn direct_handlers(&self) -> Vec<(&'static str, DirectHandler)> {
        D::METHODS
            .iter()
            .map(|entry| {
                let (service, chain, serve) =
                    (Arc::clone(&self.service), self.chain.clone(), entry.grpc);
                let handler = DirectHandler::Grpc(Arc::new(move |request| {
                    serve(Arc::clone(&service), chain.clone(), request)
                }));
                (entry.descriptor().operation, handler)
            })
            .collect()
    }
}

impl<D, T> Clone for Dispatch<D, T> {
    fn clone(&self) -> Self {
        Self::new(Arc::clone(&self.service), self.chain.clone())
    }
}

impl<D: ServiceTable<T>, T: 'static> NamedService for Dispatch<D, T> {
    const NAME: &'static str = D::DESCRIPTOR.full_name;
}

impl<D, T> tower::Service<Request> for Dispatch<D, T>
where
    D: ServiceTable<T>,
    T: Send + Sync + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The path is `/{package}.{Service}/{Method}`: the operation of exactly one entry.
        let path = request.uri().path();
        match D::METHODS
            .iter()
            .find(|entry| entry.descriptor().operation == path)
        {
            Some(entry) => (entry.grpc)(Arc::clone(&self.service), self.chain.clone(), request),
            None => unimplemented(),
        }
    }
}
