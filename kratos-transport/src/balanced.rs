//! Client targets that name more than one server: `discovery:///helloworld`
//! (instances from a [`Discovery`], followed through its watch) and
//! `direct:///10.0.0.5:9000,10.0.0.6:9000` (a fixed list). Each call asks the
//! [`Selector`] for a node; gRPC keeps one lazily connected channel per node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kratos_core::registry::{Discovery, ServiceInstance};
use kratos_core::selector::{Node, Picked, Selector};
use kratos_core::stream::Streaming;
use kratos_core::{Context, Error, Kind, Method};
use tokio::sync::watch;

use crate::error::ClientError;
use crate::grpc::GrpcClient;
use crate::http::HttpClient;
use crate::unreachable::NodeUnreachable;

/// What a target string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// One server at this URL.
    Url(String),
    /// Instances of a service name, from discovery.
    Discovery(String),
    /// A fixed list of `host:port`.
    Direct(Vec<String>),
}

impl Target {
    /// Parses `discovery:///name`, `direct:///a:1,b:2`, or a URL.
    pub(crate) fn parse(target: &str) -> Result<Self, ClientError> {
        let invalid = |expected| ClientError::InvalidTarget {
            target: target.to_owned(),
            expected,
        };
        if let Some(name) = target.strip_prefix("discovery:///") {
            if name.is_empty() || name.contains('/') {
                return Err(invalid("discovery:///<service name>"));
            }
            return Ok(Target::Discovery(name.to_owned()));
        }
        if let Some(list) = target.strip_prefix("direct:///") {
            let addresses: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            if addresses.is_empty() {
                return Err(invalid("direct:///host:port[,host:port]"));
            }
            return Ok(Target::Direct(addresses));
        }
        Ok(Target::Url(target.to_owned()))
    }
}

/// The nodes behind a multi-server target, and the per-node gRPC channels.
pub(crate) struct Balanced {
    scheme: &'static str,
    /// The connection pool every HTTP call shares, whichever node it goes to.
    http: Option<HttpClient>,
    selector: Arc<Selector>,
    ready: watch::Receiver<bool>,
    channels: Mutex<HashMap<String, GrpcClient>>,
    follow: Option<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for Balanced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Balanced")
            .field("scheme", &self.scheme)
            .field("selector", &self.selector)
            .finish()
    }
}

impl Drop for Balanced {
    fn drop(&mut self) {
        if let Some(follow) = &self.follow {
            follow.abort();
        }
    }
}

fn nodes(instances: &[ServiceInstance], scheme: &str) -> Vec<Node> {
    instances
        .iter()
        .filter_map(|i| Node::new(Arc::new(i.clone()), scheme))
        .collect()
}

impl Balanced {
    /// A fixed list of addresses.
    pub(crate) fn direct(scheme: &'static str, addresses: &[String], selector: Selector) -> Self {
        let nodes = addresses
            .iter()
            .map(|address| {
                let instance = ServiceInstance {
                    id: address.clone(),
                    endpoints: vec![format!("{scheme}://{address}")],
                    ..ServiceInstance::default()
                };
                Node::with_address(Arc::new(instance), address.clone())
            })
            .collect();
        selector.apply(nodes);
        let (_, ready) = watch::channel(true);
        Self {
            scheme,
            http: (scheme == "http").then(HttpClient::pool),
            selector: Arc::new(selector),
            ready,
            channels: Mutex::new(HashMap::new()),
            follow: None,
        }
    }

    /// The instances of `name`, followed through `discovery`'s watch in a background task.
    pub(crate) fn discovered(
        scheme: &'static str,
        name: String,
        discovery: Arc<dyn Discovery>,
        selector: Selector,
    ) -> Result<Self, ClientError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ClientError::NoRuntime)?;
        let selector = Arc::new(selector);
        let (ready_tx, ready) = watch::channel(false);
        let target = selector.clone();
        let follow = runtime.spawn(async move {
            loop {
                let mut watcher = match discovery.watch(&name).await {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::warn!(service = %name, error = %e, "discovery watch failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                loop {
                    match watcher.next().await {
                        Ok(instances) => {
                            let nodes = nodes(&instances, scheme);
                            // As Go kratos's resolver: an empty list (an etcd that lost its
                            // data, before instances register again) does not replace nodes
                            // that were serving.
                            if nodes.is_empty() && *ready_tx.borrow() {
                                tracing::warn!(service = %name, "discovery reported no instance; keeping the last nodes");
                                continue;
                            }
                            tracing::debug!(service = %name, nodes = nodes.len(), "discovery update");
                            target.apply(nodes);
                            ready_tx.send_replace(true);
                        }
                        Err(e) => {
                            tracing::warn!(service = %name, error = %e, "discovery watch ended; watching again");
                            break;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Ok(Self {
            scheme,
            http: (scheme == "http").then(HttpClient::pool),
            selector,
            ready,
            channels: Mutex::new(HashMap::new()),
            follow: Some(follow.abort_handle()),
        })
    }

    /// Picks a node, first waiting (up to `wait`) for discovery's first answer.
    pub(crate) async fn pick(&self, wait: Duration, avoid: Option<&Node>) -> Result<Picked, Error> {
        if !*self.ready.borrow() {
            let mut ready = self.ready.clone();
            let _ = tokio::time::timeout(wait, ready.wait_for(|r| *r)).await;
        }
        self.selector.select_except(avoid)
    }

    /// The transport of the calls.
    pub(crate) fn kind(&self) -> Kind {
        if self.http.is_some() {
            Kind::Http
        } else {
            Kind::Grpc
        }
    }

    /// Calls method `M` on `node`, named in `ctx` as the call's endpoint.
    pub(crate) async fn call<M: Method>(
        &self,
        node: &Node,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
    ) -> Result<M::Reply, Error> {
        let base = format!("{}://{}", self.scheme, node.address());
        ctx.set_endpoint(Arc::from(base.as_str()));
        match &self.http {
            Some(http) => http.send_to::<M>(&base, ctx, request, timeout).await,
            None => self.grpc(node)?.send::<M>(ctx, request, timeout).await,
        }
    }

    /// One call to a picked node; a call that could not reach its node
    /// ([`NodeUnreachable`]: refused, or closed before the request went out) is
    /// tried once more on another. An answer, a 503 included, is never retried.
    pub(crate) async fn send<M: Method>(
        &self,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
    ) -> Result<M::Reply, Error> {
        let started = Instant::now();
        let spare = request.clone();
        let (result, node) = self.attempt::<M>(ctx, request, timeout, None).await?;
        match result {
            Err(e) if NodeUnreachable::is(&e) => {
                tracing::debug!(node = node.address(), "node unreachable; trying another");
                let left = timeout.saturating_sub(started.elapsed());
                let (again, _) = self.attempt::<M>(ctx, spare, left, Some(&node)).await?;
                again
            }
            other => other,
        }
    }

    /// Picks a node (avoiding `avoid` if another exists), calls it, and reports the
    /// outcome to the selector; the outer error is "no node", the inner the call's.
    async fn attempt<M: Method>(
        &self,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
        avoid: Option<&Node>,
    ) -> Result<(Result<M::Reply, Error>, Node), Error> {
        let picked = self.pick(timeout, avoid).await?;
        let result = self.call::<M>(picked.node(), ctx, request, timeout).await;
        // A node is failing when it is unavailable or too slow, not when it answers an error.
        let ok = !matches!(&result, Err(e) if e.code == 503 || e.code == 504);
        let node = picked.node().clone();
        picked.done(ok);
        Ok((result, node))
    }

    /// Opens a stream of method `M` on a picked node. Not retried on another node:
    /// the caller's request stream cannot be replayed.
    pub(crate) async fn open_stream<M: Method>(
        &self,
        ctx: &mut Context,
        requests: Streaming<M::Request>,
        timeout: Duration,
    ) -> Result<Streaming<M::Reply>, Error> {
        let picked = self.pick(timeout, None).await?;
        let base = format!("{}://{}", self.scheme, picked.node().address());
        ctx.set_endpoint(Arc::from(base.as_str()));
        let result = match &self.http {
            Some(http) => {
                http.open_stream_to::<M>(&base, ctx, requests, timeout)
                    .await
            }
            None => match self.grpc(picked.node()) {
                Ok(client) => client.open_stream::<M>(ctx, requests, timeout).await,
                Err(e) => Err(e),
            },
        };
        picked.done(!matches!(&result, Err(e) if e.code == 503 || e.code == 504));
        result
    }

    /// The gRPC client of a node, made on first use; clients of nodes that left are dropped.
    fn grpc(&self, node: &Node) -> Result<GrpcClient, Error> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = channels.get(node.address()) {
            return Ok(client.clone());
        }
        let live: Vec<String> = self
            .selector
            .nodes()
            .iter()
            .map(|n| n.address().to_owned())
            .collect();
        channels.retain(|address, _| live.contains(address));
        let client = GrpcClient::new(&format!("http://{}", node.address()))?;
        channels.insert(node.address().to_owned(), client.clone());
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("discovery:///helloworld").unwrap(),
            Target::Discovery("helloworld".into())
        );
        assert_eq!(
            Target::parse("direct:///a:1, b:2").unwrap(),
            Target::Direct(vec!["a:1".into(), "b:2".into()])
        );
        assert_eq!(
            Target::parse("http://x:1").unwrap(),
            Target::Url("http://x:1".into())
        );
        assert!(Target::parse("discovery:///").is_err());
        assert!(Target::parse("direct:///").is_err());
    }
}
