//! Discovery: a prefix get of `{prefix}/{name}/` lists a service; a watcher
//! follows it with an etcd watch that starts at the revision after that get, so
//! nothing written in between is missed, and keeps the instances by key,
//! updated by each PUT and DELETE. A watch that breaks (etcd restarted, a
//! compacted revision) is re-opened after reading the list again, and the
//! watcher only answers when the list really changed.

use std::collections::BTreeMap;
use std::time::Duration;

use etcd_client::{Client, EventType, GetOptions, WatchOptions, WatchStream};
use kratos_core::Error;
use kratos_core::app::BoxFuture;
use kratos_core::registry::{Discovery, ServiceInstance, Watcher};

use crate::backoff::Backoff;
use crate::{EtcdRegistry, bounded, value};

/// Instances by etcd key, so a list comes out in key order as a get answers it.
type Instances = BTreeMap<Vec<u8>, ServiceInstance>;

/// Where one service's instances live, and how to ask for them.
#[derive(Clone)]
struct Service {
    client: Client,
    dir: String,
    name: String,
    limit: Duration,
}

impl Service {
    /// The instances now, and the revision they were read at.
    async fn list(&self) -> Result<(Instances, i64), Error> {
        let mut client = self.client.clone();
        let options = GetOptions::new().with_prefix();
        let answer = bounded(
            self.limit,
            "get",
            client.get(self.dir.as_str(), Some(options)),
        )
        .await?;
        let revision = answer.header().map_or(0, |h| h.revision());
        let instances = answer
            .kvs()
            .iter()
            .filter_map(|kv| {
                let instance = value::decode(kv.key(), kv.value(), &self.name)?;
                Some((kv.key().to_vec(), instance))
            })
            .collect();
        Ok((instances, revision))
    }

    /// A watch of the service's keys from `revision` on (inclusive).
    async fn watch_from(&self, revision: i64) -> Result<WatchStream, Error> {
        let mut client = self.client.clone();
        let options = WatchOptions::new()
            .with_prefix()
            .with_start_revision(revision);
        bounded(
            self.limit,
            "watch",
            client.watch(self.dir.as_str(), Some(options)),
        )
        .await
    }
}

impl EtcdRegistry {
    fn service(&self, name: &str) -> Service {
        Service {
            client: self.client.clone(),
            dir: value::service_dir(self.config.trimmed_prefix(), name),
            name: name.to_owned(),
            limit: self.config.dial_timeout,
        }
    }
}

impl Discovery for EtcdRegistry {
    fn get_service<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ServiceInstance>, Error>> {
        Box::pin(async move {
            let (instances, _) = self.service(name).list().await?;
            Ok(instances.into_values().collect())
        })
    }

    fn watch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Box<dyn Watcher>, Error>> {
        Box::pin(async move {
            let mut watcher = EtcdWatcher {
                service: self.service(name),
                instances: Instances::new(),
                stream: None,
                answered: None,
                failing: false,
            };
            watcher.list_and_watch().await?;
            Ok(Box::new(watcher) as Box<dyn Watcher>)
        })
    }
}

/// The instance lists of one service on etcd, as they change. It outlives etcd
/// restarts: `next` waits for etcd to come back rather than failing.
pub struct EtcdWatcher {
    service: Service,
    instances: Instances,
    stream: Option<WatchStream>,
    /// The list `next` answered last; `None` before the first call.
    answered: Option<Vec<ServiceInstance>>,
    /// Whether the current outage was logged, so a long one logs once.
    failing: bool,
}

impl std::fmt::Debug for EtcdWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdWatcher")
            .field("dir", &self.service.dir)
            .field("instances", &self.instances.len())
            .field("watching", &self.stream.is_some())
            .finish()
    }
}

impl EtcdWatcher {
    /// Reads the list, then watches from the revision after it.
    async fn list_and_watch(&mut self) -> Result<(), Error> {
        self.stream = None;
        let (instances, revision) = self.service.list().await?;
        self.instances = instances;
        self.stream = Some(self.service.watch_from(revision + 1).await?);
        Ok(())
    }

    fn current(&self) -> Vec<ServiceInstance> {
        self.instances.values().cloned().collect()
    }

    /// The current list if the caller has not seen it yet.
    fn news(&mut self) -> Option<Vec<ServiceInstance>> {
        let current = self.current();
        if self.answered.as_ref() == Some(&current) {
            return None;
        }
        self.answered = Some(current.clone());
        Some(current)
    }

    fn apply(&mut self, events: &[etcd_client::Event]) {
        for event in events {
            let Some(kv) = event.kv() else { continue };
            let decoded = match event.event_type() {
                EventType::Put => value::decode(kv.key(), kv.value(), &self.service.name),
                EventType::Delete => None,
            };
            match decoded {
                Some(instance) => self.instances.insert(kv.key().to_vec(), instance),
                None => self.instances.remove(kv.key()),
            };
        }
    }

    /// Logs the first failure of an outage as a warning, the rest quietly.
    fn failed(&mut self, problem: &str) {
        if std::mem::replace(&mut self.failing, true) {
            tracing::debug!(dir = %self.service.dir, error = problem, "etcd registry: watch still failing");
        } else {
            tracing::warn!(dir = %self.service.dir, error = problem, "etcd registry: watch broken, re-listing");
        }
    }

    async fn next_list(&mut self) -> Result<Vec<ServiceInstance>, Error> {
        if self.answered.is_none() {
            let current = self.current();
            self.answered = Some(current.clone());
            return Ok(current);
        }
        let mut backoff = Backoff::default();
        loop {
            let Some(stream) = self.stream.as_mut() else {
                match self.list_and_watch().await {
                    Ok(()) => {
                        if std::mem::take(&mut self.failing) {
                            tracing::info!(dir = %self.service.dir, "etcd registry: watch restored");
                        }
                        backoff.reset();
                        if let Some(list) = self.news() {
                            return Ok(list);
                        }
                    }
                    Err(e) => {
                        self.failed(&e.message);
                        tokio::time::sleep(backoff.next()).await;
                    }
                }
                continue;
            };
            match stream.message().await {
                Ok(Some(answer)) if answer.canceled() => {
                    // A compacted start revision or a server-side cancel: read again.
                    let reason = format!(
                        "watch canceled ({}; compacted at {})",
                        answer.cancel_reason(),
                        answer.compact_revision()
                    );
                    self.stream = None;
                    self.failed(&reason);
                }
                Ok(Some(answer)) => {
                    self.apply(answer.events());
                    if let Some(list) = self.news() {
                        return Ok(list);
                    }
                }
                Ok(None) => {
                    self.stream = None;
                    self.failed("watch stream closed");
                }
                Err(e) => {
                    self.stream = None;
                    self.failed(&e.to_string());
                }
            }
        }
    }
}

impl Watcher for EtcdWatcher {
    fn next(&mut self) -> BoxFuture<'_, Result<Vec<ServiceInstance>, Error>> {
        Box::pin(self.next_list())
    }
}
