//! Call metadata, as Go kratos propagates it: `x-md-*` headers in, `x-md-*`
//! headers out. Keys are lower-cased; a key may hold several values.
//!
//! `x-md-global-*` keys travel every hop: a server keeps the incoming ones for the
//! duration of the call ([`Incoming`]), and clients called from inside it send
//! them on. `x-md-local-*` keys travel one hop.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// The prefix of every metadata header.
pub const PREFIX: &str = "x-md-";
/// The prefix of keys that travel every hop.
pub const GLOBAL_PREFIX: &str = "x-md-global-";
/// The prefix of keys that travel one hop.
pub const LOCAL_PREFIX: &str = "x-md-local-";

/// Metadata of one call: lower-cased keys, each with one or more values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: BTreeMap<String, Vec<String>>,
}

impl Metadata {
    /// Empty metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .get(&key.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Every value of `key`.
    pub fn get_all(&self, key: &str) -> &[String] {
        self.entries
            .get(&key.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Replaces the values of `key` with `value`.
    pub fn set(&mut self, key: impl AsRef<str>, value: impl Into<String>) {
        self.entries
            .insert(key.as_ref().to_ascii_lowercase(), vec![value.into()]);
    }

    /// Adds `value` to the values of `key`.
    pub fn add(&mut self, key: impl AsRef<str>, value: impl Into<String>) {
        self.entries
            .entry(key.as_ref().to_ascii_lowercase())
            .or_default()
            .push(value.into());
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.entries.remove(&key.to_ascii_lowercase())
    }

    /// Every key with its values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Only the keys that start with `prefix`.
    pub fn with_prefix(&self, prefix: &str) -> Metadata {
        Metadata {
            entries: self
                .entries
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Takes every key of `other`, replacing the values we had for it.
    pub fn overlay(&mut self, other: &Metadata) {
        for (key, values) in &other.entries {
            self.entries.insert(key.clone(), values.clone());
        }
    }

    /// Adds every entry of `other`, its values after ours.
    pub fn extend(&mut self, other: &Metadata) {
        for (key, values) in &other.entries {
            self.entries
                .entry(key.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
    }
}

/// What a server call hands on to the client calls made while serving it.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// The incoming metadata that travels on (`x-md-global-*`), when there is any.
    pub metadata: Option<Arc<Metadata>>,
    /// The instant by which the incoming call must answer.
    pub deadline: Option<Instant>,
}

tokio::task_local! {
    static INCOMING: Incoming;
}

/// What the call being served hands on, when called inside one.
pub fn incoming() -> Option<Incoming> {
    INCOMING.try_with(Incoming::clone).ok()
}

/// Runs `f` with `incoming` as what client calls made inside it propagate: one
/// poll of a call's future that scopes itself rather than being wrapped.
pub fn in_incoming<R>(incoming: &Incoming, f: impl FnOnce() -> R) -> R {
    INCOMING.sync_scope(incoming.clone(), f)
}

/// Runs `future` with `incoming` as what client calls made inside it propagate.
pub async fn with_incoming<F: Future>(incoming: Incoming, future: F) -> F::Output {
    INCOMING.scope(incoming, future).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_multi_valued() {
        let mut md = Metadata::new();
        md.set("X-MD-Global-Trace", "1");
        md.add("x-md-global-trace", "2");
        md.set("x-md-local-user", "ann");
        assert_eq!(md.get("x-md-global-trace"), Some("1"));
        assert_eq!(md.get_all("X-Md-Global-Trace"), ["1", "2"]);
        let global = md.with_prefix(GLOBAL_PREFIX);
        assert_eq!(global.iter().count(), 1);
        assert!(global.get("x-md-local-user").is_none());
    }

    #[tokio::test]
    async fn incoming_is_scoped() {
        assert!(incoming().is_none());
        let mut md = Metadata::new();
        md.set("x-md-global-a", "1");
        let seen = with_incoming(
            Incoming {
                metadata: Some(Arc::new(md)),
                deadline: None,
            },
            async {
                incoming()
                    .unwrap()
                    .metadata
                    .unwrap()
                    .get("x-md-global-a")
                    .map(str::to_owned)
            },
        )
        .await;
        assert_eq!(seen.as_deref(), Some("1"));
    }
}
