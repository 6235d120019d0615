//! Service registry and discovery, as Go kratos models them: an app registers one
//! [`ServiceInstance`] (id, name, version, metadata, endpoint URLs) when its
//! servers have bound and deregisters it before they drain; clients ask a
//! [`Discovery`] for the instances of a name and watch the list change.
//!
//! [`Embedded`] is the in-process default (one binary, tests); backends that talk
//! to a store (etcd in `kratos-registry-etcd`) implement the same traits and make
//! themselves known to `#[kratos::main]` by kind through [`RegistryFactory`].

mod embedded;

use std::collections::BTreeMap;
use std::sync::Arc;

use kratos_config::Config;
use serde::{Deserialize, Deserializer, Serialize};

use crate::BoxFuture;
use crate::error::Error;

pub use embedded::Embedded;

/// One running instance of a service, as registries store it. The JSON form is Go
/// kratos's (`{"id","name","version","metadata","endpoints"}`), so Go and Rust
/// instances discover each other.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceInstance {
    /// Unique per process, e.g. `host-1234`.
    pub id: String,
    /// The service name clients discover, e.g. `helloworld`.
    pub name: String,
    /// The version, for version filters.
    pub version: String,
    /// Free-form metadata (`weight` is read by the wrr balancer).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Endpoint URLs, `http://10.0.0.5:8000`, `grpc://10.0.0.5:9000`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub endpoints: Vec<String>,
}

/// Go writes a nil map or slice as `null`.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl ServiceInstance {
    /// The `host:port` of the first endpoint with this scheme (`"http"`, `"grpc"`).
    pub fn address(&self, scheme: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find_map(|e| e.strip_prefix(scheme)?.strip_prefix("://"))
            .map(|rest| rest.trim_end_matches('/'))
    }
}

/// Registers and deregisters instances.
pub trait Registrar: Send + Sync + 'static {
    /// Makes `instance` discoverable (and keeps it so, for a store with leases).
    fn register<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>>;
    /// Removes `instance` at once.
    fn deregister<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>>;
}

/// Finds the instances of a service and follows them.
pub trait Discovery: Send + Sync + 'static {
    /// The instances of `name` now.
    fn get_service<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ServiceInstance>, Error>>;
    /// A watch on `name`: its first `next` answers the current list, later ones
    /// each answer the full list after a change.
    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Box<dyn Watcher>, Error>>;
}

/// The instance lists of one service as they change.
pub trait Watcher: Send + 'static {
    /// The next full list (the current one on the first call); an error once the
    /// watch has ended.
    fn next(&mut self) -> BoxFuture<'_, Result<Vec<ServiceInstance>, Error>>;
}

/// Both halves, as one value an app and its clients share.
pub trait Registry: Registrar + Discovery {}

impl<T: Registrar + Discovery> Registry for T {}

/// Builds a registry from the app config (its `registry` section).
pub type BuildRegistry = fn(&Config) -> BoxFuture<'static, Result<Arc<dyn Registry>, Error>>;

/// How `#[kratos::main]` builds the registry a config names
/// (`registry: { kind: etcd, ... }`); a backend crate submits one with `inventory`.
pub struct RegistryFactory {
    /// The `registry.kind` it answers to.
    pub kind: &'static str,
    /// Builds the registry from the `registry` config section.
    pub build: BuildRegistry,
}

inventory::collect!(RegistryFactory);

/// The factory for `kind`, if a linked backend submitted one.
pub fn factory(kind: &str) -> Option<&'static RegistryFactory> {
    inventory::iter::<RegistryFactory>
        .into_iter()
        .find(|f| f.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_is_go_kratos_s() {
        let go = r#"{"id":"a1","name":"helloworld","version":"v1","metadata":null,"endpoints":["http://10.0.0.5:8000","grpc://10.0.0.5:9000"]}"#;
        let instance: ServiceInstance = serde_json::from_str(go).unwrap();
        assert_eq!(instance.address("grpc"), Some("10.0.0.5:9000"));
        assert_eq!(instance.address("http"), Some("10.0.0.5:8000"));
        assert_eq!(instance.address("https"), None);
        assert!(instance.metadata.is_empty());
        let back = serde_json::to_value(&instance).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"id":"a1","name":"helloworld","version":"v1","metadata":{},"endpoints":["http://10.0.0.5:8000","grpc://10.0.0.5:9000"]})
        );
    }
}
