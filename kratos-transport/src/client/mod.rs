//! The transport-neutral client a generated `<Trait>Client` wraps: its middlewares
//! run before the call leaves and see the reply when it returns, then the call
//! goes out over HTTP or gRPC with the remaining time of the call being served
//! (if any) as its deadline, to one server or to the node a [`Selector`] picks
//! among the instances of a `discovery:///` or `direct:///` target.
//!
//! [`Selector`]: kratos_core::selector::Selector

use std::marker::PhantomData;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use http::HeaderMap;
use kratos_core::app::BoxFuture;
use kratos_core::metadata::{GLOBAL_PREFIX, incoming};
use kratos_core::middleware::{Endpoint, Next, Reply, Request};
use kratos_core::{Chain, Context, Error, Kind, Method, Middleware};

use kratos_core::registry::Discovery;
use kratos_core::selector::{Balancer, Filter, Selector, p2c};

use crate::balanced::{Balanced, Target};
use crate::deadline::DEFAULT_CLIENT_TIMEOUT;
use crate::error::ClientError;
use crate::grpc::GrpcClient;
use crate::http::HttpClient;

mod stream;

#[derive(Clone, Debug)]
enum Transport {
    Http(Box<HttpClient>),
    Grpc(GrpcClient),
    /// The nodes of a `discovery:///` or `direct:///` target, picked per call.
    Balanced(Arc<Balanced>),
}

/// A client of one remote server over HTTP or gRPC; both return the same replies and errors.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Transport,
    target: Arc<str>,
    chain: Chain,
    timeout: Duration,
}

/// The innermost step of a client chain: the network call, bounded by the
/// context's deadline as the middlewares left it.
struct Outbound<'c, M> {
    client: &'c Client,
    method: PhantomData<fn() -> M>,
}

impl<M: Method> Endpoint for Outbound<'_, M> {
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let request = req.take::<M::Request>(M::DESCRIPTOR.operation)?;
            let timeout = ctx.deadline().map_or(self.client.timeout, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            self.client
                .send::<M>(ctx, request, timeout)
                .await
                .map(Reply::message)
        })
    }
}

/// The middlewares every client starts with; see [`set_default_client_middleware`].
static DEFAULT_CHAIN: RwLock<Option<Chain>> = RwLock::new(None);

/// Sets the middlewares every client built from now on starts with, outermost, before
/// its own: `#[kratos::main]` puts the client sides of metrics and tracing here when
/// the config turns them on, so the clients `main` builds report and propagate
/// without code. Clients built earlier keep their chain.
pub fn set_default_client_middleware(chain: Chain) {
    *DEFAULT_CHAIN.write().unwrap_or_else(|p| p.into_inner()) = Some(chain);
}

impl Client {
    fn new(transport: Transport, target: &str) -> Self {
        let chain = DEFAULT_CHAIN
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default();
        Self {
            transport,
            target: Arc::from(target),
            chain,
            timeout: DEFAULT_CLIENT_TIMEOUT,
        }
    }

    /// An HTTP client of `target`: a URL (`http://127.0.0.1:8000`) or
    /// `direct:///host:port,host:port`; timeout 2s. For `discovery:///name`, use
    /// [`Client::builder`] with a discovery.
    pub fn http(target: &str) -> Result<Self, ClientError> {
        Self::builder(target).http()
    }

    /// A gRPC client of `target` (`http://127.0.0.1:9000`, `grpc://..`, or
    /// `direct:///..`), timeout 2s; connects on first call.
    pub fn grpc(target: &str) -> Result<Self, ClientError> {
        Self::builder(target).grpc()
    }

    /// A client of `target` to configure: discovery, filters, balancer.
    pub fn builder(target: &str) -> ClientBuilder {
        ClientBuilder {
            target: target.to_owned(),
            discovery: None,
            filters: Vec::new(),
            balancer: p2c(),
        }
    }

    /// Sets the per-call timeout; a call made while serving another never outlives
    /// that one's deadline either.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds a middleware around every call, inside the ones added before it.
    #[must_use]
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.chain = self.chain.with(middleware);
        self
    }

    fn kind(&self) -> Kind {
        match &self.transport {
            Transport::Http(_) => Kind::Http,
            Transport::Grpc(_) => Kind::Grpc,
            Transport::Balanced(balanced) => balanced.kind(),
        }
    }

    async fn send<M: Method>(
        &self,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
    ) -> Result<M::Reply, Error> {
        match &self.transport {
            Transport::Http(c) => c.send::<M>(ctx, request, timeout).await,
            Transport::Grpc(c) => c.send::<M>(ctx, request, timeout).await,
            Transport::Balanced(balanced) => balanced.send::<M>(ctx, request, timeout).await,
        }
    }

    /// The context of one call of `M`: its deadline the client timeout or the
    /// caller's (or the served call's) deadline when sooner, the caller's
    /// `x-md-global-*` metadata handed on.
    fn context<M: Method>(&self, caller: Option<&Context>) -> Context {
        let now = Instant::now();
        let inherited = caller
            .and_then(Context::deadline)
            .or_else(|| incoming().and_then(|i| i.deadline));
        let timeout = inherited.map_or(self.timeout, |d| {
            d.saturating_duration_since(now).min(self.timeout)
        });
        let mut ctx = Context::new(self.kind(), M::DESCRIPTOR.operation, HeaderMap::new())
            .with_endpoint(self.target.clone())
            .with_deadline(Some(now + timeout));
        if let Some(caller) = caller
            && !caller.metadata().is_empty()
        {
            *ctx.metadata_mut() = caller.metadata().with_prefix(GLOBAL_PREFIX);
        }
        ctx
    }

    /// Calls method `M`. `caller` is the context the trait method was given, if it
    /// takes one: its deadline bounds the call and its `x-md-global-*` metadata is
    /// handed on, as is the call being served when this runs inside a handler.
    pub async fn unary<M: Method>(
        &self,
        caller: Option<&Context>,
        request: M::Request,
    ) -> Result<M::Reply, Error> {
        let mut ctx = self.context::<M>(caller);
        let timeout = ctx.deadline().map_or(self.timeout, |deadline| {
            deadline.saturating_duration_since(Instant::now())
        });
        if self.chain.is_empty() {
            return self.send::<M>(&mut ctx, request, timeout).await;
        }
        let endpoint = Outbound::<M> {
            client: self,
            method: PhantomData,
        };
        let reply = Next::new(self.chain.as_slice(), &[], &[], &endpoint)
            .run(&mut ctx, Request::message(request))
            .await?;
        reply.take::<M::Reply>(M::DESCRIPTOR.operation)
    }
}

/// Configures a [`Client`]: where it calls, how it finds and picks servers.
#[must_use = "a ClientBuilder builds nothing until `.http()` or `.grpc()`"]
pub struct ClientBuilder {
    target: String,
    discovery: Option<Arc<dyn Discovery>>,
    filters: Vec<Filter>,
    balancer: Arc<dyn Balancer>,
}

impl ClientBuilder {
    /// The registry a `discovery:///name` target is resolved with.
    pub fn discovery(mut self, discovery: Arc<dyn Discovery>) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// Keeps only the nodes `filter` accepts (e.g. `kratos::selector::version("v2")`).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Picks nodes with `balancer` (default p2c).
    pub fn balancer(mut self, balancer: Arc<dyn Balancer>) -> Self {
        self.balancer = balancer;
        self
    }

    /// An HTTP client.
    pub fn http(self) -> Result<Client, ClientError> {
        self.build("http")
    }

    /// A gRPC client.
    pub fn grpc(self) -> Result<Client, ClientError> {
        self.build("grpc")
    }

    fn build(self, scheme: &'static str) -> Result<Client, ClientError> {
        let mut selector = Selector::new(self.balancer);
        for filter in self.filters {
            selector = selector.with_filter(filter);
        }
        let balanced = match Target::parse(&self.target)? {
            Target::Url(url) => {
                let transport = match scheme {
                    "http" => Transport::Http(Box::new(HttpClient::new(&url)?)),
                    _ => Transport::Grpc(GrpcClient::new(&url)?),
                };
                return Ok(Client::new(transport, &url));
            }
            Target::Direct(addresses) => Balanced::direct(scheme, &addresses, selector),
            Target::Discovery(name) => {
                let discovery = self.discovery.ok_or_else(|| ClientError::NoDiscovery {
                    target: self.target.clone(),
                })?;
                Balanced::discovered(scheme, name, discovery, selector)?
            }
        };
        Ok(Client::new(
            Transport::Balanced(Arc::new(balanced)),
            &self.target,
        ))
    }
}
