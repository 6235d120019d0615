//! The etcd backend of the kratos registry, wire compatible with Go kratos's
//! `contrib/registry/etcd`: an instance lives at `{prefix}/{name}/{id}` (prefix
//! `/microservices` by default) as the JSON Go writes, attached to a lease that a
//! background task keeps alive. When the lease is lost (etcd restarted without
//! its data, or a partition longer than the TTL) the task registers the instance
//! again with a new lease, retrying with backoff until etcd answers. Discovery
//! lists a service with a prefix get and follows it with an etcd watch from the
//! revision after that get, so no change in between is missed; a watch broken by
//! an etcd restart is re-opened and the list read again rather than ended.
//!
//! With `#[kratos::main]`, linking the crate (`use kratos_registry_etcd as _;`)
//! makes `registry: { kind: etcd, endpoints: [...] }` select it. By hand:
//! `EtcdRegistry::connect(EtcdConfig::new(["http://127.0.0.1:2379"])).await?`.

mod backoff;
mod config;
mod discovery;
mod registrar;
#[cfg(feature = "test-support")]
pub mod testing;
mod value;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions};
use kratos_core::Error;
use kratos_core::app::BoxFuture;
use kratos_core::registry::{Registry, RegistryFactory};

pub use config::EtcdConfig;
pub use discovery::EtcdWatcher;
/// The etcd client this crate is built on, for reading and writing etcd directly.
pub use etcd_client;

/// A registry on etcd: [`Registrar`](kratos_core::registry::Registrar) and
/// [`Discovery`](kratos_core::registry::Discovery) over one client. Dropping it
/// stops keeping its instances alive: they disappear after their TTL, as a
/// crashed process's would.
pub struct EtcdRegistry {
    client: Client,
    config: Arc<EtcdConfig>,
    registrations: Mutex<HashMap<String, registrar::Registration>>,
}

impl std::fmt::Debug for EtcdRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = lock(&self.registrations).keys().cloned().collect();
        f.debug_struct("EtcdRegistry")
            .field("endpoints", &self.config.endpoints)
            .field("prefix", &self.config.prefix)
            .field("registered", &keys)
            .finish()
    }
}

impl EtcdRegistry {
    /// A client for `config.endpoints`. Connections are made lazily, so this
    /// succeeds while etcd is down; the first call reports it.
    pub async fn connect(config: EtcdConfig) -> Result<Self, Error> {
        config.validate()?;
        let mut options = ConnectOptions::new()
            .with_connect_timeout(config.dial_timeout)
            // Notices a silently dead etcd (a partition) on the keep-alive and watch
            // streams; etcd refuses pings more often than every 5s or with no stream open.
            .with_keep_alive(Duration::from_secs(10), config.dial_timeout)
            .with_keep_alive_while_idle(false);
        if let Some(user) = &config.username {
            options = options.with_user(user, config.password.clone().unwrap_or_default());
        }
        let client = bounded(
            config.dial_timeout,
            "connect",
            Client::connect(&config.endpoints, Some(options)),
        )
        .await?;
        Ok(Self::with_client(client, config))
    }

    /// A registry over a client built by the caller (TLS, custom options).
    pub fn with_client(client: Client, config: EtcdConfig) -> Self {
        Self {
            client,
            config: Arc::new(config),
            registrations: Mutex::new(HashMap::new()),
        }
    }

    /// The etcd client, to read or write etcd directly.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The configuration in use.
    pub fn config(&self) -> &EtcdConfig {
        &self.config
    }
}

impl Drop for EtcdRegistry {
    fn drop(&mut self) {
        for (_, registration) in lock(&self.registrations).drain() {
            registration.abort();
        }
    }
}

/// `call` bounded by `limit`, its failure as a kratos error naming what was asked.
/// The client waits for a connection rather than failing, so every call needs a bound.
pub(crate) async fn bounded<T>(
    limit: Duration,
    what: &str,
    call: impl Future<Output = Result<T, etcd_client::Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Error::service_unavailable(
            "REGISTRY",
            format!("etcd {what}: {e}"),
        )),
        Err(_) => Err(Error::service_unavailable(
            "REGISTRY",
            format!("etcd {what}: no answer within {limit:?}"),
        )),
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Builds the registry `#[kratos::main]` asks for with `registry.kind: etcd`.
fn build(config: &kratos_config::Config) -> BoxFuture<'static, Result<Arc<dyn Registry>, Error>> {
    let section = EtcdConfig::from_config(config);
    Box::pin(async move {
        let registry = EtcdRegistry::connect(section?).await?;
        Ok(Arc::new(registry) as Arc<dyn Registry>)
    })
}

inventory::submit! {
    RegistryFactory { kind: "etcd", build }
}
