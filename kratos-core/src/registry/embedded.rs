//! The in-process registry: instances in a map, watchers woken through a
//! `tokio::sync::watch` channel per service name. What `#[kratos::main]` uses
//! when the config names no registry, and what tests use.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::{Discovery, Registrar, ServiceInstance, Watcher};
use crate::BoxFuture;
use crate::error::Error;

/// Instances by name, then by id.
type Instances = BTreeMap<String, BTreeMap<String, ServiceInstance>>;

/// An in-process registry; clones share the same instances.
#[derive(Clone, Default)]
pub struct Embedded {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    instances: Instances,
    channels: BTreeMap<String, watch::Sender<Vec<ServiceInstance>>>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Embedded")
            .field("instances", &inner.instances)
            .finish()
    }
}

impl Embedded {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn list(inner: &Inner, name: &str) -> Vec<ServiceInstance> {
        inner
            .instances
            .get(name)
            .map(|by_id| by_id.values().cloned().collect())
            .unwrap_or_default()
    }

    fn publish(inner: &mut Inner, name: &str) {
        let list = Self::list(inner, name);
        if let Some(sender) = inner.channels.get(name) {
            sender.send_replace(list);
        }
    }
}

impl Registrar for Embedded {
    fn register<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut inner = self.lock();
            inner
                .instances
                .entry(instance.name.clone())
                .or_default()
                .insert(instance.id.clone(), instance.clone());
            Self::publish(&mut inner, &instance.name);
            Ok(())
        })
    }

    fn deregister<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut inner = self.lock();
            if let Some(by_id) = inner.instances.get_mut(&instance.name) {
                by_id.remove(&instance.id);
            }
            Self::publish(&mut inner, &instance.name);
            Ok(())
        })
    }
}

struct EmbeddedWatcher {
    receiver: watch::Receiver<Vec<ServiceInstance>>,
    first: bool,
}

impl Watcher for EmbeddedWatcher {
    fn next(&mut self) -> BoxFuture<'_, Result<Vec<ServiceInstance>, Error>> {
        Box::pin(async move {
            if !std::mem::take(&mut self.first) {
                self.receiver.changed().await.map_err(|_| {
                    Error::service_unavailable("REGISTRY", "the embedded registry was dropped")
                })?;
            }
            Ok(self.receiver.borrow_and_update().clone())
        })
    }
}

impl Discovery for Embedded {
    fn get_service<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ServiceInstance>, Error>> {
        Box::pin(async move { Ok(Self::list(&self.lock(), name)) })
    }

    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Box<dyn Watcher>, Error>> {
        Box::pin(async move {
            let mut inner = self.lock();
            let current = Self::list(&inner, name);
            let receiver = inner
                .channels
                .entry(name.to_owned())
                .or_insert_with(|| watch::channel(current).0)
                .subscribe();
            Ok(Box::new(EmbeddedWatcher {
                receiver,
                first: true,
            }) as Box<dyn Watcher>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str) -> ServiceInstance {
        ServiceInstance {
            id: id.into(),
            name: "greeter".into(),
            version: "v1".into(),
            endpoints: vec![format!("grpc://127.0.0.1:{}", 9000 + id.len())],
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn watchers_see_the_current_list_then_every_change() {
        let registry = Embedded::new();
        registry.register(&instance("a")).await.unwrap();
        let mut watcher = registry.watch("greeter").await.unwrap();
        assert_eq!(watcher.next().await.unwrap().len(), 1);
        registry.register(&instance("bb")).await.unwrap();
        assert_eq!(watcher.next().await.unwrap().len(), 2);
        registry.deregister(&instance("a")).await.unwrap();
        let now = watcher.next().await.unwrap();
        assert_eq!(
            now.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["bb"]
        );
        assert_eq!(registry.get_service("greeter").await.unwrap(), now);
        assert!(registry.get_service("nobody").await.unwrap().is_empty());
    }
}
