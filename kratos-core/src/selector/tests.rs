//! The selector over synthetic nodes: filters, each balancer's spread, p2c's
//! preference for the fast node, statistics kept across `apply`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::registry::ServiceInstance;

fn node(id: &str, version: &str, weight: Option<&str>) -> Node {
    let mut metadata = BTreeMap::new();
    if let Some(w) = weight {
        metadata.insert("weight".to_owned(), w.to_owned());
    }
    let instance = ServiceInstance {
        id: id.into(),
        name: "greeter".into(),
        version: version.into(),
        metadata,
        endpoints: vec![format!("grpc://10.0.0.{}:9000", id.len())],
    };
    Node::new(Arc::new(instance), "grpc").unwrap()
}

fn counts(
    selector: &Selector,
    calls: usize,
    latency: impl Fn(&str) -> Duration,
) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..calls {
        let picked = selector.select().unwrap();
        let id = picked.node().id().to_owned();
        // Report a latency without sleeping: what p2c learns from.
        picked.node.end(latency(&id), true);
        std::mem::forget(picked);
        *seen.entry(id).or_default() += 1;
    }
    seen
}

#[test]
fn no_node_is_a_503_with_the_go_reason() {
    let selector = Selector::default();
    let err = selector.select().unwrap_err();
    assert_eq!(
        (err.code, err.reason.as_str()),
        (503, REASON_NO_AVAILABLE_NODE)
    );
    selector.apply(vec![node("a", "v1", None)]);
    let filtered = Selector::default().with_filter(version("v2"));
    filtered.apply(vec![node("a", "v1", None)]);
    let err = filtered.select().unwrap_err();
    assert!(
        err.message.contains("none of the 1 instances"),
        "{}",
        err.message
    );
}

#[test]
fn a_version_filter_picks_only_that_version() {
    let selector = Selector::new(random()).with_filter(version("v2"));
    selector.apply(vec![
        node("a", "v1", None),
        node("bb", "v2", None),
        node("ccc", "v2", None),
    ]);
    let seen = counts(&selector, 300, |_| Duration::from_millis(1));
    assert!(!seen.contains_key("a"), "{seen:?}");
    assert!(seen["bb"] > 0 && seen["ccc"] > 0, "{seen:?}");
}

#[test]
fn random_and_wrr_spread_calls_and_wrr_follows_weights() {
    let selector = Selector::new(random());
    selector.apply(vec![
        node("a", "v1", None),
        node("bb", "v1", None),
        node("ccc", "v1", None),
    ]);
    let seen = counts(&selector, 300, |_| Duration::from_millis(1));
    assert!(seen.values().all(|n| *n > 30), "{seen:?}");

    let selector = Selector::new(wrr());
    selector.apply(vec![
        node("a", "v1", Some("1")),
        node("bb", "v1", Some("3")),
    ]);
    let seen = counts(&selector, 400, |_| Duration::from_millis(1));
    assert_eq!(
        (seen["a"], seen["bb"]),
        (100, 300),
        "exact 1:3 split over whole rounds"
    );
}

#[test]
fn p2c_prefers_the_fast_nodes() {
    let selector = Selector::default();
    selector.apply(vec![
        node("a", "v1", None),
        node("bb", "v1", None),
        node("slow", "v1", None),
    ]);
    let seen = counts(&selector, 600, |id| {
        Duration::from_millis(if id == "slow" { 50 } else { 1 })
    });
    let slow = seen.get("slow").copied().unwrap_or(0);
    assert!(slow * 5 < 600, "the slow node got {slow} of 600: {seen:?}");
    assert!(seen["a"] > 100 && seen["bb"] > 100, "{seen:?}");
}

#[test]
fn apply_keeps_statistics_of_nodes_that_stay_and_new_nodes_are_tried_at_once() {
    let selector = Selector::default();
    selector.apply(vec![node("a", "v1", None), node("slow", "v1", None)]);
    counts(&selector, 50, |id| {
        Duration::from_millis(if id == "slow" { 50 } else { 1 })
    });
    selector.apply(vec![
        node("a", "v1", None),
        node("slow", "v1", None),
        node("fresh", "v1", None),
    ]);
    let slow = selector
        .nodes
        .load()
        .iter()
        .find(|w| w.node().id() == "slow")
        .unwrap()
        .cost();
    assert!(slow > 0.0, "statistics survived the apply");
    let seen = counts(&selector, 30, |_| Duration::from_millis(1));
    assert!(seen.get("fresh").copied().unwrap_or(0) > 0, "{seen:?}");
}

#[test]
fn retry_avoids_the_failed_node_when_another_exists() {
    let selector = Selector::new(random());
    selector.apply(vec![node("a", "v1", None), node("bb", "v1", None)]);
    let first = selector.select().unwrap();
    let failed = first.node().clone();
    first.done(false);
    for _ in 0..20 {
        let again = selector.select_except(Some(&failed)).unwrap();
        assert!(!again.node().same(&failed));
    }
    selector.apply(vec![node("a", "v1", None)]);
    let only = selector.node_a();
    assert!(
        selector.select_except(Some(&only)).is_ok(),
        "the only node is still used"
    );
}

impl Selector {
    fn node_a(&self) -> Node {
        self.nodes()[0].clone()
    }
}
