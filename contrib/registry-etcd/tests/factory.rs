//! `#[kratos::main]`'s way in: the `etcd` factory found by kind through
//! `inventory`, built from the app's whole config.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

mod support;

use kratos_config::Config;
use kratos_core::registry::factory;
use support::*;

#[tokio::test]
async fn the_etcd_factory_builds_a_working_registry_from_the_config() {
    let etcd = EtcdServer::start().await.unwrap();
    let config = Config::from_value(serde_json::json!({
        "server": {"http": {"addr": "127.0.0.1:0"}},
        "registry": {"kind": "etcd", "endpoints": [etcd.endpoint()], "prefix": "/apps", "ttl": "3s"},
    }));
    let factory = factory("etcd").expect("linking the crate submits the etcd factory");
    let registry = (factory.build)(&config).await.unwrap();

    let a = instance("greeter", "a", 8000);
    registry.register(&a).await.unwrap();
    assert_eq!(
        registry.get_service("greeter").await.unwrap(),
        vec![a.clone()]
    );
    let mut reader = raw(&etcd).await;
    assert_eq!(raw_keys(&reader, "/").await, ["/apps/greeter/a"]);
    let lease = reader.leases().await.unwrap().leases()[0].id();
    let ttl = reader.lease_time_to_live(lease, None).await.unwrap();
    assert_eq!(ttl.granted_ttl(), 3);

    registry.deregister(&a).await.unwrap();
    assert!(raw_keys(&reader, "/").await.is_empty());
}

#[tokio::test]
async fn a_config_without_endpoints_is_an_error_naming_the_key() {
    let factory = factory("etcd").unwrap();
    let config = Config::from_value(serde_json::json!({"registry": {"kind": "etcd"}}));
    let error = (factory.build)(&config)
        .await
        .err()
        .expect("no endpoints, no registry");
    assert!(
        error.message.contains("registry.endpoints"),
        "{}",
        error.message
    );
    assert_eq!(error.reason, "CONFIG");

    let config =
        Config::from_value(serde_json::json!({"registry": {"kind": "etcd", "endpoints": "x"}}));
    let error = (factory.build)(&config)
        .await
        .err()
        .expect("endpoints must be a list");
    assert!(
        error.message.contains("registry.endpoints"),
        "{}",
        error.message
    );
}
