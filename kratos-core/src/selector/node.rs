//! A node (one endpoint of one instance) and the statistics a balancer reads:
//! in-flight calls, an exponentially weighted moving average of latency and of
//! success, and when it was last picked.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::registry::ServiceInstance;

/// Where a call can go: an instance and its `host:port` for the client's scheme.
#[derive(Debug, Clone)]
pub struct Node {
    instance: Arc<ServiceInstance>,
    address: String,
    weight: f64,
}

/// The weight of a node without a `weight` metadata key.
pub(crate) const DEFAULT_WEIGHT: f64 = 100.0;

impl Node {
    /// The node of `instance` for `scheme` (`"http"`, `"grpc"`), if it has such an endpoint.
    pub fn new(instance: Arc<ServiceInstance>, scheme: &str) -> Option<Self> {
        let address = instance.address(scheme)?.to_owned();
        Some(Self::with_address(instance, address))
    }

    /// A node at a given address (a `direct:///` target has no instance record).
    pub fn with_address(instance: Arc<ServiceInstance>, address: String) -> Self {
        let weight = instance
            .metadata
            .get("weight")
            .and_then(|w| w.parse::<f64>().ok())
            .filter(|w| *w > 0.0)
            .unwrap_or(DEFAULT_WEIGHT);
        Self {
            instance,
            address,
            weight,
        }
    }

    /// `host:port`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The instance record.
    pub fn instance(&self) -> &ServiceInstance {
        &self.instance
    }

    /// The instance id.
    pub fn id(&self) -> &str {
        &self.instance.id
    }

    /// The instance version.
    pub fn version(&self) -> &str {
        &self.instance.version
    }

    /// The `weight` metadata, or [`DEFAULT_WEIGHT`].
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Whether two nodes are the same endpoint of the same instance.
    pub fn same(&self, other: &Node) -> bool {
        self.address == other.address && self.instance.id == other.instance.id
    }
}

/// How fast older latency samples fade (Go kratos's p2c uses 600ms).
const DECAY: Duration = Duration::from_millis(600);

#[derive(Debug)]
struct Stats {
    inflight: u32,
    /// Latency EWMA in nanoseconds; `None` before the first call.
    lag: Option<f64>,
    /// Success EWMA in 0..=1.
    success: f64,
    updated: Instant,
    picked: Instant,
}

/// A node with its statistics.
#[derive(Debug)]
pub struct WeightedNode {
    node: Node,
    stats: Mutex<Stats>,
}

impl WeightedNode {
    /// A node without history.
    pub fn new(node: Node) -> Self {
        let now = Instant::now();
        Self {
            node,
            stats: Mutex::new(Stats {
                inflight: 0,
                lag: None,
                success: 1.0,
                updated: now,
                picked: now,
            }),
        }
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Calls in flight.
    pub fn inflight(&self) -> u32 {
        self.stats().inflight
    }

    /// The cost p2c compares (lower wins): latency EWMA times calls in flight plus
    /// one, over success and weight. A node not yet called costs nothing, so a new
    /// instance is tried at once.
    pub fn cost(&self) -> f64 {
        let stats = self.stats();
        let lag = stats.lag.unwrap_or(0.0);
        lag * f64::from(stats.inflight + 1) / (stats.success.max(0.01) * self.node.weight)
    }

    /// How long since it was last picked.
    pub fn idle(&self) -> Duration {
        self.stats().picked.elapsed()
    }

    pub(crate) fn begin(&self) {
        let mut stats = self.stats();
        stats.inflight += 1;
        stats.picked = Instant::now();
    }

    pub(crate) fn end(&self, latency: Duration, ok: bool) {
        let mut stats = self.stats();
        stats.inflight = stats.inflight.saturating_sub(1);
        let now = Instant::now();
        let since = now.duration_since(stats.updated).as_secs_f64();
        let keep = (-since / DECAY.as_secs_f64()).exp();
        let sample = latency.as_nanos() as f64;
        stats.lag = Some(match stats.lag {
            None => sample,
            Some(lag) => lag * keep + sample * (1.0 - keep),
        });
        let outcome = if ok { 1.0 } else { 0.0 };
        stats.success = stats.success * keep + outcome * (1.0 - keep);
        stats.updated = now;
    }
}
