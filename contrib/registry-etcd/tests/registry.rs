//! Registering, discovering and watching on a real etcd, looked at the way a
//! user (or a Go kratos process reading the same etcd) sees it.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

mod support;

use kratos_core::registry::{Discovery, Registrar};
use support::*;

#[tokio::test]
async fn two_instances_are_discovered_and_stored_as_go_writes_them() {
    let etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let (a, b) = (
        instance("helloworld", "a", 8000),
        instance("helloworld", "b", 8001),
    );
    registry.register(&a).await.unwrap();
    registry.register(&b).await.unwrap();
    // Another service whose name starts the same must not show up.
    registry
        .register(&instance("helloworld2", "c", 8002))
        .await
        .unwrap();

    assert_eq!(
        registry.get_service("helloworld").await.unwrap(),
        vec![a, b]
    );
    assert!(registry.get_service("nobody").await.unwrap().is_empty());

    let raw = raw(&etcd).await;
    assert_eq!(
        raw_get(&raw, "/microservices/helloworld/a")
            .await
            .as_deref(),
        Some(
            r#"{"id":"a","name":"helloworld","version":"v1","metadata":{"weight":"10"},"endpoints":["http://127.0.0.1:8000","grpc://127.0.0.1:9000"]}"#
        )
    );
    assert_eq!(
        raw_keys(&raw, "/microservices/").await,
        [
            "/microservices/helloworld/a",
            "/microservices/helloworld/b",
            "/microservices/helloworld2/c"
        ]
    );
}

#[tokio::test]
async fn a_watcher_sees_the_list_then_every_register_and_deregister() {
    let etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let (a, b) = (
        instance("greeter", "a", 8000),
        instance("greeter", "b", 8001),
    );
    registry.register(&a).await.unwrap();

    let mut watcher = registry.watch("greeter").await.unwrap();
    // Written after the watch was made but before anyone asked: must not be lost.
    registry.register(&b).await.unwrap();
    assert_eq!(
        ids(&within("the first list", watcher.next()).await.unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(&within("b registered", watcher.next()).await.unwrap()),
        ["a", "b"]
    );

    registry.deregister(&a).await.unwrap();
    assert_eq!(
        ids(&within("a deregistered", watcher.next()).await.unwrap()),
        ["b"]
    );
    registry.deregister(&b).await.unwrap();
    assert!(
        within("b deregistered", watcher.next())
            .await
            .unwrap()
            .is_empty()
    );

    // Changing an instance (same key) is a change of the list too.
    let mut b2 = b.clone();
    b2.version = "v2".into();
    registry.register(&b2).await.unwrap();
    assert_eq!(
        within("b back", watcher.next()).await.unwrap(),
        vec![b2.clone()]
    );
    let mut b3 = b2.clone();
    b3.version = "v3".into();
    registry.register(&b3).await.unwrap();
    assert_eq!(within("b changed", watcher.next()).await.unwrap(), vec![b3]);
}

#[tokio::test]
async fn deregister_removes_the_key_at_once_and_twice_is_fine() {
    let etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let mut raw = raw(&etcd).await;
    let a = instance("greeter", "a", 8000);
    registry.register(&a).await.unwrap();
    assert!(raw_get(&raw, "/microservices/greeter/a").await.is_some());

    registry.deregister(&a).await.unwrap();
    assert_eq!(raw_get(&raw, "/microservices/greeter/a").await, None);
    assert!(registry.get_service("greeter").await.unwrap().is_empty());
    registry.deregister(&a).await.unwrap();

    // A lease outliving its instance would keep etcd busy; deregistering revokes it.
    let leases = raw.leases().await.unwrap();
    assert!(
        leases.leases().is_empty(),
        "leases left: {:?}",
        leases.leases()
    );
}

#[tokio::test]
async fn an_instance_whose_process_died_disappears_after_its_ttl() {
    let etcd = EtcdServer::start().await.unwrap();
    let watching = registry(&etcd).await;
    let mut watcher = watching.watch("greeter").await.unwrap();
    assert!(watcher.next().await.unwrap().is_empty());

    let crashed = registry(&etcd).await;
    let survivor = instance("greeter", "survivor", 8001);
    crashed
        .register(&instance("greeter", "crashed", 8000))
        .await
        .unwrap();
    watching.register(&survivor).await.unwrap();
    // Dropping the registry stops its keep-alive without deregistering, as a crash would.
    drop(crashed);

    let raw = raw(&etcd).await;
    eventually("the crashed instance's key to expire", || {
        let raw = raw.clone();
        async move {
            raw_get(&raw, "/microservices/greeter/crashed")
                .await
                .is_none()
                .then_some(())
        }
    })
    .await;
    let mut last = Vec::new();
    while ids(&last) != ["survivor"] {
        last = within("the watcher to drop the crashed instance", watcher.next())
            .await
            .unwrap();
    }
    // The survivor's lease is kept alive all that time.
    assert_eq!(
        watching.get_service("greeter").await.unwrap(),
        vec![survivor]
    );
}

#[tokio::test]
async fn values_written_by_go_kratos_are_discovered_and_garbage_is_skipped() {
    let etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let mut raw = raw(&etcd).await;
    let go = r#"{"id":"go-1","name":"helloworld","version":"v2","metadata":null,"endpoints":["grpc://10.0.0.5:9000"]}"#;
    raw.put("/microservices/helloworld/go-1", go, None)
        .await
        .unwrap();
    raw.put("/microservices/helloworld/junk", "not json", None)
        .await
        .unwrap();

    let found = registry.get_service("helloworld").await.unwrap();
    assert_eq!(ids(&found), ["go-1"]);
    assert_eq!(found[0].version, "v2");
    assert!(found[0].metadata.is_empty());
    assert_eq!(found[0].address("grpc"), Some("10.0.0.5:9000"));

    let mut watcher = registry.watch("helloworld").await.unwrap();
    assert_eq!(ids(&watcher.next().await.unwrap()), ["go-1"]);
    let go2 = r#"{"id":"go-2","name":"helloworld","version":"v2","metadata":{"weight":"5"},"endpoints":["http://10.0.0.6:8000"]}"#;
    raw.put("/microservices/helloworld/go-2", go2, None)
        .await
        .unwrap();
    let now = within("the Go instance put", watcher.next()).await.unwrap();
    assert_eq!(ids(&now), ["go-1", "go-2"]);
    assert_eq!(now[1].metadata["weight"], "5");
    // A valid instance overwritten with garbage is no longer an instance.
    raw.put("/microservices/helloworld/go-1", "{", None)
        .await
        .unwrap();
    assert_eq!(
        ids(&within("go-1 spoiled", watcher.next()).await.unwrap()),
        ["go-2"]
    );
}

#[tokio::test]
async fn registering_again_replaces_the_registration() {
    let etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let mut raw = raw(&etcd).await;
    let mut a = instance("greeter", "a", 8000);
    registry.register(&a).await.unwrap();
    a.version = "v2".into();
    registry.register(&a).await.unwrap();

    assert_eq!(
        registry.get_service("greeter").await.unwrap(),
        vec![a.clone()]
    );
    // One lease for one instance: the first was revoked, not left to expire.
    assert_eq!(raw.leases().await.unwrap().leases().len(), 1);
    registry.deregister(&a).await.unwrap();
    assert!(registry.get_service("greeter").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_custom_prefix_is_used_for_keys() {
    let etcd = EtcdServer::start().await.unwrap();
    let config = kratos_registry_etcd::EtcdConfig::new([etcd.endpoint()]).prefix("/team/apps/");
    let registry = kratos_registry_etcd::EtcdRegistry::connect(config)
        .await
        .unwrap();
    registry
        .register(&instance("greeter", "a", 8000))
        .await
        .unwrap();
    let raw = raw(&etcd).await;
    assert_eq!(raw_keys(&raw, "/").await, ["/team/apps/greeter/a"]);
    assert_eq!(ids(&registry.get_service("greeter").await.unwrap()), ["a"]);
}

#[tokio::test]
async fn an_unreachable_etcd_is_a_clear_error() {
    let mut etcd = EtcdServer::start().await.unwrap();
    let config = kratos_registry_etcd::EtcdConfig::new([etcd.endpoint()])
        .dial_timeout(std::time::Duration::from_secs(1));
    let registry = kratos_registry_etcd::EtcdRegistry::connect(config)
        .await
        .unwrap();
    etcd.stop().await.unwrap();
    let error = registry
        .register(&instance("greeter", "a", 8000))
        .await
        .unwrap_err();
    assert!(error.is_service_unavailable(), "{error:?}");
    assert_eq!(error.reason, "REGISTRY");
    assert!(error.message.starts_with("etcd "), "{}", error.message);
    assert!(registry.get_service("greeter").await.is_err());
}
