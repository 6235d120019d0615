//! Registering: a lease with the TTL, the key put with it, and one background
//! task per instance that keeps the lease alive. The task outlives etcd
//! restarts: a broken keep-alive stream is re-opened on the same lease (etcd
//! restores leases from its data dir), and a lease etcd no longer knows
//! (expired during a partition, or a fresh etcd) is replaced by a new one and
//! the key put again, with backoff until etcd answers. Deregistering stops the
//! task, deletes the key and revokes the lease.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use etcd_client::{Client, PutOptions};
use kratos_core::Error;
use kratos_core::app::BoxFuture;
use kratos_core::registry::{Registrar, ServiceInstance};
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use crate::{EtcdRegistry, bounded, lock, value};

/// No lease: the task is (re)registering.
const NO_LEASE: i64 = 0;

/// One registered instance: its keep-alive task and the lease it holds now.
pub(crate) struct Registration {
    task: JoinHandle<()>,
    lease: Arc<AtomicI64>,
}

impl Registration {
    /// Stops the task without waiting (for `Drop`).
    pub(crate) fn abort(&self) {
        self.task.abort();
    }

    /// Stops the task and waits until it has, so no put of its own lands after
    /// what the caller does next; answers the lease it held.
    async fn stop(self) -> i64 {
        self.task.abort();
        let _ = self.task.await;
        self.lease.load(Ordering::SeqCst)
    }
}

/// What a registration needs to put its key again.
#[derive(Clone)]
struct Record {
    client: Client,
    key: String,
    value: String,
    ttl: i64,
    limit: Duration,
}

impl Record {
    /// A new lease, then the key put with it; answers the lease.
    async fn grant_and_put(&self, on_grant: &AtomicI64) -> Result<i64, Error> {
        let mut client = self.client.clone();
        let grant = bounded(
            self.limit,
            "lease grant",
            client.lease_grant(self.ttl, None),
        )
        .await?;
        // Recorded before the put, so a deregister racing with us revokes it.
        on_grant.store(grant.id(), Ordering::SeqCst);
        let options = PutOptions::new().with_lease(grant.id());
        bounded(
            self.limit,
            "put",
            client.put(self.key.as_str(), self.value.as_str(), Some(options)),
        )
        .await?;
        Ok(grant.id())
    }

    async fn revoke(&self, lease: i64) {
        revoke(&self.client, self.limit, &self.key, lease).await;
    }
}

impl Registrar for EtcdRegistry {
    fn register<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let record = Record {
                client: self.client.clone(),
                key: value::instance_key(self.config.trimmed_prefix(), instance),
                value: value::encode(instance)?,
                ttl: self.config.ttl_seconds(),
                limit: self.config.dial_timeout,
            };
            // Registering an instance again replaces its registration.
            let previous = lock(&self.registrations).remove(&record.key);
            let previous_lease = match previous {
                Some(registration) => registration.stop().await,
                None => NO_LEASE,
            };
            let lease = Arc::new(AtomicI64::new(NO_LEASE));
            if let Err(e) = record.grant_and_put(&lease).await {
                record.revoke(lease.load(Ordering::SeqCst)).await;
                return Err(e);
            }
            let registration = Registration {
                task: tokio::spawn(keep_registered(record.clone(), lease.clone())),
                lease,
            };
            if let Some(raced) = lock(&self.registrations).insert(record.key.clone(), registration)
            {
                raced.abort();
            }
            record.revoke(previous_lease).await;
            tracing::debug!(key = %record.key, "etcd registry: registered");
            Ok(())
        })
    }

    fn deregister<'a>(&'a self, instance: &'a ServiceInstance) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let key = value::instance_key(self.config.trimmed_prefix(), instance);
            let registration = lock(&self.registrations).remove(&key);
            let lease = match registration {
                Some(registration) => registration.stop().await,
                None => NO_LEASE,
            };
            // Deleted even when unknown here: deregistering is idempotent, and an
            // instance registered by an earlier run of this process goes too.
            let mut client = self.client.clone();
            let deleted = bounded(
                self.config.dial_timeout,
                "delete",
                client.delete(key.as_str(), None),
            )
            .await;
            revoke(&self.client, self.config.dial_timeout, &key, lease).await;
            deleted.map(|_| ())
        })
    }
}

/// Revokes `lease` if there is one; a failure only delays its expiry by the TTL.
async fn revoke(client: &Client, limit: Duration, key: &str, lease: i64) {
    if lease == NO_LEASE {
        return;
    }
    let mut client = client.clone();
    if let Err(e) = bounded(limit, "lease revoke", client.lease_revoke(lease)).await {
        tracing::debug!(key, lease, error = %e.message, "etcd registry: revoke failed");
    }
}

/// Why keeping a lease alive stopped.
enum Lost {
    /// etcd no longer knows the lease: register with a new one.
    Expired,
    /// The stream broke (etcd restarting, a network error): try the same lease again.
    Broken(String),
}

/// Keeps `record` registered until aborted.
async fn keep_registered(record: Record, lease: Arc<AtomicI64>) {
    let mut backoff = Backoff::default();
    // Whether the current outage was logged, so a long one logs once.
    let mut failing = false;
    loop {
        let id = lease.load(Ordering::SeqCst);
        let problem = if id == NO_LEASE {
            match record.grant_and_put(&lease).await {
                Ok(_) => {
                    tracing::info!(key = %record.key, "etcd registry: registered again with a new lease");
                    failing = false;
                    backoff.reset();
                    continue;
                }
                Err(e) => {
                    // A lease granted before a failed put holds nothing: drop it.
                    record.revoke(lease.swap(NO_LEASE, Ordering::SeqCst)).await;
                    e.message
                }
            }
        } else {
            match keep_alive(&record, id, &mut backoff, &mut failing).await {
                Lost::Expired => {
                    tracing::warn!(key = %record.key, lease = id, "etcd registry: lease lost, registering again");
                    lease.store(NO_LEASE, Ordering::SeqCst);
                    continue;
                }
                Lost::Broken(reason) => reason,
            }
        };
        if failing {
            tracing::debug!(key = %record.key, error = %problem, "etcd registry: still failing");
        } else {
            tracing::warn!(key = %record.key, error = %problem, "etcd registry: keep-alive failed, retrying");
            failing = true;
        }
        tokio::time::sleep(backoff.next()).await;
    }
}

/// Renews `lease` every third of its TTL, as etcd's own clients do, until it is lost.
async fn keep_alive(
    record: &Record,
    lease: i64,
    backoff: &mut Backoff,
    failing: &mut bool,
) -> Lost {
    let mut client = record.client.lease_client();
    let opened = tokio::time::timeout(record.limit, client.keep_alive(lease)).await;
    let (mut keeper, mut responses) = match opened {
        Ok(Ok(stream)) => stream,
        // The client's way of saying etcd answered TTL 0: it does not know the lease.
        Ok(Err(etcd_client::Error::LeaseKeepAliveError(_))) => return Lost::Expired,
        Ok(Err(e)) => return Lost::Broken(e.to_string()),
        Err(_) => return Lost::Broken(format!("no answer within {:?}", record.limit)),
    };
    if std::mem::take(failing) {
        tracing::info!(key = %record.key, lease, "etcd registry: keep-alive restored");
    }
    backoff.reset();
    let ttl = Duration::from_secs(record.ttl.unsigned_abs());
    let period = (ttl / 3).max(Duration::from_millis(300));
    loop {
        tokio::time::sleep(period).await;
        if let Err(e) = keeper.keep_alive().await {
            return Lost::Broken(e.to_string());
        }
        match tokio::time::timeout(ttl, responses.message()).await {
            Ok(Ok(Some(answer))) if answer.ttl() > 0 => {}
            Ok(Ok(Some(_))) => return Lost::Expired,
            Ok(Ok(None)) => return Lost::Broken("keep-alive stream closed".to_owned()),
            Ok(Err(e)) => return Lost::Broken(e.to_string()),
            Err(_) => return Lost::Broken(format!("no keep-alive answer within {ttl:?}")),
        }
    }
}
