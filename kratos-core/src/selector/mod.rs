//! Picking the node a client call goes to, as Go kratos's `selector`: the nodes
//! come from discovery ([`Selector::apply`] replaces the set when the watch
//! reports a change, keeping what was learnt about nodes that stay), filters
//! narrow them ([`version`], or any closure), and a [`Balancer`] picks one:
//! [`p2c`] (the default: the lighter of two random nodes by latency EWMA and
//! in-flight calls), [`wrr`] (smooth weighted round robin on the `weight`
//! metadata key) or [`random`]. The returned [`Picked`] reports the call's
//! outcome back when done, which is what p2c learns from.

mod balancer;
mod node;

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::error::Error;

pub use balancer::{Balancer, P2c, Random, Wrr, p2c, random, wrr};
pub use node::{Node, WeightedNode};

/// The reason of the error when no node is available (Go kratos: `no_available_node`).
pub const REASON_NO_AVAILABLE_NODE: &str = "NO_AVAILABLE_NODE";

/// Keeps the nodes a filter accepts.
pub type Filter = Arc<dyn Fn(&Node) -> bool + Send + Sync>;

/// A filter that keeps the nodes of one version.
pub fn version(version: impl Into<String>) -> Filter {
    let version = version.into();
    Arc::new(move |node: &Node| node.version() == version)
}

/// A filter from a closure.
pub fn filter(f: impl Fn(&Node) -> bool + Send + Sync + 'static) -> Filter {
    Arc::new(f)
}

/// The nodes of one service and how to pick among them.
pub struct Selector {
    nodes: ArcSwap<Vec<Arc<WeightedNode>>>,
    filters: Vec<Filter>,
    balancer: Arc<dyn Balancer>,
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector")
            .field("nodes", &self.nodes())
            .field("filters", &self.filters.len())
            .finish()
    }
}

impl Default for Selector {
    fn default() -> Self {
        Self::new(p2c())
    }
}

impl Selector {
    /// An empty selector with `balancer`.
    pub fn new(balancer: Arc<dyn Balancer>) -> Self {
        Self {
            nodes: ArcSwap::from_pointee(Vec::new()),
            filters: Vec::new(),
            balancer,
        }
    }

    /// Adds a filter; a node must pass every filter.
    #[must_use]
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Replaces the node set; a node that stays (same instance id and address)
    /// keeps its statistics.
    pub fn apply(&self, nodes: Vec<Node>) {
        let old = self.nodes.load();
        let fresh: Vec<Arc<WeightedNode>> = nodes
            .into_iter()
            .map(|node| {
                old.iter()
                    .find(|w| w.node().same(&node))
                    .cloned()
                    .unwrap_or_else(|| Arc::new(WeightedNode::new(node)))
            })
            .collect();
        self.nodes.store(Arc::new(fresh));
    }

    /// The current nodes, before filters.
    pub fn nodes(&self) -> Vec<Node> {
        self.nodes.load().iter().map(|w| w.node().clone()).collect()
    }

    /// Picks a node for one call: 503 `NO_AVAILABLE_NODE` when none passes the filters.
    pub fn select(&self) -> Result<Picked, Error> {
        self.select_except(None)
    }

    /// As [`Selector::select`], avoiding `avoid` when another node is available
    /// (a retry after a connection failure).
    pub fn select_except(&self, avoid: Option<&Node>) -> Result<Picked, Error> {
        let nodes = self.nodes.load();
        let mut candidates: Vec<Arc<WeightedNode>> = nodes
            .iter()
            .filter(|w| self.filters.iter().all(|f| f(w.node())))
            .cloned()
            .collect();
        if let Some(avoid) = avoid
            && candidates.len() > 1
        {
            candidates.retain(|w| !w.node().same(avoid));
        }
        let picked = self.balancer.pick(&candidates).ok_or_else(|| {
            Error::service_unavailable(
                REASON_NO_AVAILABLE_NODE,
                if nodes.is_empty() {
                    "no node is available: discovery found no instance".to_owned()
                } else {
                    format!(
                        "no node is available: none of the {} instances passes the filters",
                        nodes.len()
                    )
                },
            )
        })?;
        Ok(Picked::start(picked))
    }
}

/// A node picked for one call; report the outcome with [`Picked::done`] (dropping
/// it without counts as a failure, e.g. a cancelled call).
#[derive(Debug)]
pub struct Picked {
    node: Arc<WeightedNode>,
    started: std::time::Instant,
    finished: bool,
}

impl Picked {
    fn start(node: Arc<WeightedNode>) -> Self {
        node.begin();
        Self {
            node,
            started: std::time::Instant::now(),
            finished: false,
        }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        self.node.node()
    }

    /// Records the call's latency and whether it succeeded.
    pub fn done(mut self, ok: bool) {
        self.finish(ok);
    }

    fn finish(&mut self, ok: bool) {
        if !std::mem::replace(&mut self.finished, true) {
            self.node.end(self.started.elapsed(), ok);
        }
    }
}

impl Drop for Picked {
    fn drop(&mut self) {
        self.finish(false);
    }
}

#[cfg(test)]
mod tests;
