//! What the etcd registry tests share: instances to register, a raw etcd
//! client to look at the keys as another process would, and a bounded wait.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use kratos_core::registry::ServiceInstance;
use kratos_registry_etcd::etcd_client::{Client, GetOptions};
use kratos_registry_etcd::{EtcdConfig, EtcdRegistry};

pub use kratos_registry_etcd::testing::EtcdServer;

/// The upper bound of every wait: generous, so a slow machine is not a failure.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// An instance of `name` with both endpoints and a little metadata.
pub fn instance(name: &str, id: &str, port: u16) -> ServiceInstance {
    ServiceInstance {
        id: id.to_owned(),
        name: name.to_owned(),
        version: "v1".to_owned(),
        metadata: [("weight".to_owned(), "10".to_owned())]
            .into_iter()
            .collect(),
        endpoints: vec![
            format!("http://127.0.0.1:{port}"),
            format!("grpc://127.0.0.1:{}", port + 1000),
        ],
    }
}

/// A registry on `etcd` with a short TTL, so lease tests take seconds.
pub async fn registry(etcd: &EtcdServer) -> EtcdRegistry {
    let config = EtcdConfig::new([etcd.endpoint()]).ttl(Duration::from_secs(2));
    EtcdRegistry::connect(config)
        .await
        .expect("connect to etcd")
}

/// A plain etcd client, standing for another process reading etcd.
pub async fn raw(etcd: &EtcdServer) -> Client {
    Client::connect([etcd.endpoint()], None)
        .await
        .expect("raw etcd client")
}

/// The value at `key`, as text, if there is one.
pub async fn raw_get(client: &Client, key: &str) -> Option<String> {
    let answer = client.clone().get(key, None).await.ok()?;
    answer
        .kvs()
        .first()
        .map(|kv| String::from_utf8(kv.value().to_vec()).unwrap())
}

/// The keys under `prefix`.
pub async fn raw_keys(client: &Client, prefix: &str) -> Vec<String> {
    let answer = client
        .clone()
        .get(
            prefix,
            Some(GetOptions::new().with_prefix().with_keys_only()),
        )
        .await
        .expect("raw get");
    answer
        .kvs()
        .iter()
        .map(|kv| String::from_utf8(kv.key().to_vec()).unwrap())
        .collect()
}

/// Polls `probe` until it answers `Some`, failing the test after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting {PATIENCE:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `future`, failing the test if it takes longer than [`PATIENCE`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("gave up waiting {PATIENCE:?} for {what}"))
}

/// The ids in a list, for readable assertions.
pub fn ids(list: &[ServiceInstance]) -> Vec<&str> {
    list.iter().map(|i| i.id.as_str()).collect()
}
