//! The balancers: power of two choices on latency and load (the default),
//! smooth weighted round robin, and uniform random.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::node::WeightedNode;

/// Picks one of the candidate nodes (already filtered); `None` when there are none.
pub trait Balancer: Send + Sync + 'static {
    /// The node for the next call.
    fn pick(&self, candidates: &[Arc<WeightedNode>]) -> Option<Arc<WeightedNode>>;
}

/// A node left unpicked this long is picked once even if it looks slower, so a
/// node that recovered is noticed (Go kratos's `forcePick`).
pub(crate) const FORCE_PICK: Duration = Duration::from_secs(3);

/// Power of two choices: of two random nodes, the one with the lower
/// [`WeightedNode::cost`].
#[derive(Debug, Default)]
pub struct P2c;

/// The default balancer.
pub fn p2c() -> Arc<dyn Balancer> {
    Arc::new(P2c)
}

impl Balancer for P2c {
    fn pick(&self, candidates: &[Arc<WeightedNode>]) -> Option<Arc<WeightedNode>> {
        match candidates {
            [] => None,
            [only] => Some(only.clone()),
            _ => {
                let a = fastrand::usize(..candidates.len());
                let mut b = fastrand::usize(..candidates.len() - 1);
                if b >= a {
                    b += 1;
                }
                let (a, b) = (&candidates[a], &candidates[b]);
                let (better, worse) = if a.cost() <= b.cost() { (a, b) } else { (b, a) };
                if worse.idle() > FORCE_PICK {
                    return Some(worse.clone());
                }
                Some(better.clone())
            }
        }
    }
}

/// Smooth weighted round robin (nginx's): each node gets picks in proportion to
/// its `weight` metadata, spread evenly rather than in bursts.
#[derive(Debug, Default)]
pub struct Wrr {
    current: Mutex<HashMap<String, f64>>,
}

/// A weighted round robin balancer.
pub fn wrr() -> Arc<dyn Balancer> {
    Arc::new(Wrr::default())
}

impl Balancer for Wrr {
    fn pick(&self, candidates: &[Arc<WeightedNode>]) -> Option<Arc<WeightedNode>> {
        if candidates.is_empty() {
            return None;
        }
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        // Forget nodes that left, so the map does not grow with churn.
        current.retain(|key, _| candidates.iter().any(|c| key_of(c) == *key));
        let total: f64 = candidates.iter().map(|c| c.node().weight()).sum();
        let mut best: Option<(&Arc<WeightedNode>, f64)> = None;
        for candidate in candidates {
            let slot = current.entry(key_of(candidate)).or_insert(0.0);
            *slot += candidate.node().weight();
            if best.is_none_or(|(_, w)| *slot > w) {
                best = Some((candidate, *slot));
            }
        }
        let (chosen, _) = best?;
        if let Some(slot) = current.get_mut(&key_of(chosen)) {
            *slot -= total;
        }
        Some(chosen.clone())
    }
}

fn key_of(node: &WeightedNode) -> String {
    format!("{}@{}", node.node().id(), node.node().address())
}

/// Uniformly random.
#[derive(Debug, Default)]
pub struct Random;

/// A random balancer.
pub fn random() -> Arc<dyn Balancer> {
    Arc::new(Random)
}

impl Balancer for Random {
    fn pick(&self, candidates: &[Arc<WeightedNode>]) -> Option<Arc<WeightedNode>> {
        if candidates.is_empty() {
            return None;
        }
        Some(candidates[fastrand::usize(..candidates.len())].clone())
    }
}
