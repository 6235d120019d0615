//! etcd going away and coming back under a running registry: registrations and
//! watchers must come through it without anyone calling them again.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::time::Duration;

use kratos_core::registry::{Discovery, Registrar, Watcher};
use support::*;
use tokio::sync::mpsc;

const KEY: &str = "/microservices/greeter/a";

#[tokio::test]
async fn an_etcd_restart_keeps_the_instance_registered_and_the_watcher_working() {
    let mut etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let a = instance("greeter", "a", 8000);
    registry.register(&a).await.unwrap();
    let mut watcher = registry.watch("greeter").await.unwrap();
    assert_eq!(ids(&watcher.next().await.unwrap()), ["a"]);

    etcd.stop().await.unwrap();
    // Longer than the 2s TTL: the lease must be renewed again after etcd is back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    etcd.resume().await.unwrap();

    let reader = raw(&etcd).await;
    eventually("the instance to be in etcd after the restart", || {
        let reader = reader.clone();
        async move { raw_get(&reader, KEY).await }
    })
    .await;
    // Three TTLs later it is still there: its lease is being kept alive again.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(raw_get(&reader, KEY).await.is_some(), "{}", etcd.log());

    // The watcher re-opened its watch: a new instance shows up.
    registry
        .register(&instance("greeter", "b", 8001))
        .await
        .unwrap();
    let mut last = Vec::new();
    while ids(&last) != ["a", "b"] {
        last = within("the watcher to see b", watcher.next())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_fresh_etcd_gets_the_instance_registered_again_with_a_new_lease() {
    let mut etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let a = instance("greeter", "a", 8000);
    registry.register(&a).await.unwrap();
    // A consumer blocked in `next` through the outage, as a client's resolver is.
    let mut lists = follow(registry.watch("greeter").await.unwrap());
    assert_eq!(lists.recv().await.unwrap(), ["a"]);
    let written = raw_get(&raw(&etcd).await, KEY).await.unwrap();

    // Same port, no data: the key and its lease are gone, as after losing the cluster.
    etcd.wipe().await.unwrap();

    let mut reader = raw(&etcd).await;
    let again = eventually("the instance to be registered in the fresh etcd", || {
        let reader = reader.clone();
        async move { raw_get(&reader, KEY).await }
    })
    .await;
    assert_eq!(again, written);
    let leases = reader.leases().await.unwrap();
    assert_eq!(leases.leases().len(), 1);
    let ttl = reader
        .lease_time_to_live(leases.leases()[0].id(), None)
        .await
        .unwrap();
    assert!(ttl.ttl() > 0 && ttl.granted_ttl() == 2, "{ttl:?}");

    // The watcher re-read the fresh etcd (maybe empty for a moment) and follows it.
    registry
        .register(&instance("greeter", "b", 8001))
        .await
        .unwrap();
    wait_for(&mut lists, &["a", "b"]).await;
    registry.deregister(&a).await.unwrap();
    wait_for(&mut lists, &["b"]).await;
}

#[tokio::test]
async fn a_frozen_etcd_longer_than_the_ttl_leaves_the_instance_registered_after() {
    let mut etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    registry
        .register(&instance("greeter", "a", 8000))
        .await
        .unwrap();
    let mut lists = follow(registry.watch("greeter").await.unwrap());
    assert_eq!(lists.recv().await.unwrap(), ["a"]);

    // Nothing answers, connections stay open: what a partition looks like to a client.
    etcd.pause();
    tokio::time::sleep(Duration::from_secs(4)).await;
    etcd.unpause();

    let reader = raw(&etcd).await;
    eventually("the instance to be in etcd after the freeze", || {
        let reader = reader.clone();
        async move { raw_get(&reader, KEY).await }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(raw_get(&reader, KEY).await.is_some(), "{}", etcd.log());
    registry
        .register(&instance("greeter", "b", 8001))
        .await
        .unwrap();
    wait_for(&mut lists, &["a", "b"]).await;
}

/// The ids of each list a watcher answers, from a task that keeps asking.
fn follow(mut watcher: Box<dyn Watcher>) -> mpsc::UnboundedReceiver<Vec<String>> {
    let (lists, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(list) = watcher.next().await {
            let ids = list.into_iter().map(|i| i.id).collect();
            if lists.send(ids).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Reads lists until one is `expected`, failing after [`PATIENCE`].
async fn wait_for(lists: &mut mpsc::UnboundedReceiver<Vec<String>>, expected: &[&str]) {
    within(&format!("the watcher to answer {expected:?}"), async {
        while let Some(list) = lists.recv().await {
            if list == expected {
                return;
            }
        }
        panic!("the watcher ended");
    })
    .await
}

#[tokio::test]
async fn deregistering_during_an_outage_stops_the_retries() {
    let mut etcd = EtcdServer::start().await.unwrap();
    let registry = registry(&etcd).await;
    let a = instance("greeter", "a", 8000);
    registry.register(&a).await.unwrap();

    etcd.stop().await.unwrap();
    // etcd is down: the delete fails, but the instance is no longer kept registered.
    assert!(registry.deregister(&a).await.is_err());
    etcd.wipe().await.unwrap();

    // Long enough for a retrying keep-alive task to have put the key back.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(raw_get(&raw(&etcd).await, KEY).await, None);
}
