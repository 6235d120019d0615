//! The registry example as a fleet on a real etcd (started by the test from
//! Debian's etcd-server): three processes register with their bound endpoints,
//! a `discovery:///helloworld` client spreads calls over them and follows the
//! fleet as instances stop gracefully, crash (SIGKILL), or etcd itself restarts;
//! version filters and p2c's preference for fast instances, across processes.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kratos::registry::{Discovery, ServiceInstance};
use kratos_registry_etcd::testing::EtcdServer;
use kratos_registry_etcd::{EtcdConfig, EtcdRegistry};

/// The request of `SayHello` (the example's message, declared again here).
#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

/// The reply of `SayHello`, with the instance that answered.
#[kratos::message]
pub struct HelloReply {
    pub message: String,
    pub instance: String,
}

/// The example's service, declared again: same package, name and messages, so the
/// generated client speaks to it.
#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    #[route(get = "/helloworld/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// The lease TTL the instances register with: short, so a crash shows quickly.
const TTL: &str = "3s";

fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join("registry");
    assert!(
        binary.exists(),
        "{} is missing: run the whole suite (`cargo test --workspace`), which builds the examples",
        binary.display()
    );
    binary
}

/// One instance process of the example.
struct Instance {
    id: String,
    child: Child,
    _conf: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    fn start(etcd: &EtcdServer, id: &str, version: &str, delay: &str) -> Self {
        let conf = tempfile::tempdir().unwrap();
        std::fs::write(
            conf.path().join("config.yaml"),
            format!(
                "server:\n  http:\n    addr: 127.0.0.1:0\n  grpc:\n    addr: 127.0.0.1:0\n\
                 registry:\n  kind: etcd\n  endpoints: [{}]\n  ttl: {TTL}\n\
                 app:\n  id: {id}\n  version: {version}\ngreeter:\n  delay: {delay}\n",
                etcd.endpoint()
            ),
        )
        .unwrap();
        let mut child = Command::new(example_binary())
            .arg("-conf")
            .arg(conf.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let started = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("app started"));
        assert!(started, "instance {id} did not start");
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            id: id.to_owned(),
            child,
            _conf: conf,
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

async fn registry(etcd: &EtcdServer) -> Arc<EtcdRegistry> {
    Arc::new(
        EtcdRegistry::connect(EtcdConfig::new([etcd.endpoint()]))
            .await
            .unwrap(),
    )
}

fn client(registry: &Arc<EtcdRegistry>, filter: Option<&str>) -> GreeterClient {
    let mut builder =
        kratos::Client::builder("discovery:///helloworld").discovery(registry.clone());
    if let Some(version) = filter {
        builder = builder.filter(kratos::selector::version(version));
    }
    GreeterClient::new(builder.grpc().unwrap().with_timeout(Duration::from_secs(5)))
}

fn hello() -> HelloRequest {
    HelloRequest {
        name: "fleet".into(),
    }
}

async fn spread(client: &GreeterClient, calls: usize) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..calls {
        let reply = client.say_hello(hello()).await.unwrap();
        *seen.entry(reply.instance).or_default() += 1;
    }
    seen
}

async fn ids(registry: &EtcdRegistry) -> Vec<String> {
    let mut ids: Vec<String> = registry
        .get_service("helloworld")
        .await
        .unwrap()
        .into_iter()
        .map(|i: ServiceInstance| i.id)
        .collect();
    ids.sort();
    ids
}

/// Waits, up to a generous bound, until `done` holds; returns how long it took.
async fn wait_for<F, Fut>(what: &str, bound: Duration, done: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < bound, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_on_etcd_spreads_calls_and_survives_stops_and_crashes() {
    let etcd = EtcdServer::start()
        .await
        .expect("etcd (bash .ci/setup installs it)");
    let registry = registry(&etcd).await;
    let mut fleet: Vec<Instance> = ["one", "two", "three"]
        .iter()
        .map(|id| Instance::start(&etcd, id, "v1", "0s"))
        .collect();
    wait_for("three registered", Duration::from_secs(20), || async {
        ids(&registry).await.len() == 3
    })
    .await;
    let listed = registry.get_service("helloworld").await.unwrap();
    for instance in &listed {
        assert!(
            instance
                .endpoints
                .iter()
                .any(|e| e.starts_with("grpc://127.0.0.1:"))
        );
        assert!(
            !instance.endpoints.iter().any(|e| e.ends_with(":0")),
            "{instance:?}"
        );
    }

    let greeter = client(&registry, None);
    let seen = spread(&greeter, 300).await;
    for id in ["one", "two", "three"] {
        assert!(seen.get(id).copied().unwrap_or(0) > 0, "{seen:?}");
    }

    // A graceful stop while calls run: deregistered before it drains, no call fails.
    let calls = {
        let greeter = greeter.clone();
        tokio::spawn(async move {
            let mut results = Vec::new();
            for _ in 0..200 {
                results.push(greeter.say_hello(hello()).await);
            }
            results
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut stopped = fleet.remove(0);
    stopped.signal("-TERM");
    let status = tokio::task::spawn_blocking(move || {
        let status = stopped.child.wait().unwrap();
        (status, stopped)
    })
    .await
    .unwrap();
    assert_eq!(status.0.code(), Some(0));
    assert_eq!(ids(&registry).await, ["three", "two"], "gone at once");
    for result in calls.await.unwrap() {
        assert!(
            result.is_ok(),
            "a call failed during the graceful stop: {result:?}"
        );
    }

    // A crash: the key stays until its lease expires, then calls go to the survivor.
    let crashed = fleet.remove(0);
    assert_eq!(crashed.id, "two");
    crashed.signal("-KILL");
    let took = wait_for(
        "the crashed instance's lease to expire",
        Duration::from_secs(30),
        || async { ids(&registry).await == ["three"] },
    )
    .await;
    println!("a SIGKILLed instance left discovery {took:?} after the kill (TTL {TTL})");
    // The client may still hold the dead node for a moment; after the watch catches up,
    // every call succeeds.
    wait_for(
        "the client to drop the dead node",
        Duration::from_secs(10),
        || async { matches!(greeter.say_hello(hello()).await, Ok(r) if r.instance == "three") },
    )
    .await;
    for _ in 0..50 {
        let reply = greeter.say_hello(hello()).await.unwrap();
        assert_eq!(reply.instance, "three");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_register_again_after_etcd_restarts_with_or_without_its_data() {
    let mut etcd = EtcdServer::start()
        .await
        .expect("etcd (bash .ci/setup installs it)");
    let _fleet: Vec<Instance> = ["a", "b"]
        .iter()
        .map(|id| Instance::start(&etcd, id, "v1", "0s"))
        .collect();
    let watcher_side = registry(&etcd).await;
    wait_for("both registered", Duration::from_secs(20), || async {
        ids(&watcher_side).await.len() == 2
    })
    .await;
    etcd.restart().await.unwrap();
    let took = wait_for(
        "re-registration after a restart",
        Duration::from_secs(30),
        || async {
            matches!(watcher_side.get_service("helloworld").await, Ok(list) if list.len() == 2)
        },
    )
    .await;
    println!("registered again {took:?} after etcd restarted");
    etcd.wipe().await.unwrap();
    let took = wait_for(
        "re-registration on a fresh etcd",
        Duration::from_secs(30),
        || async {
            matches!(watcher_side.get_service("helloworld").await, Ok(list) if list.len() == 2)
        },
    )
    .await;
    println!("registered again {took:?} after etcd lost its data");
    let seen = spread(&client(&watcher_side, None), 40).await;
    assert!(seen.contains_key("a") && seen.contains_key("b"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_filters_and_p2c_work_across_processes() {
    let etcd = EtcdServer::start()
        .await
        .expect("etcd (bash .ci/setup installs it)");
    let registry = registry(&etcd).await;
    let _fleet = [
        Instance::start(&etcd, "old", "v1", "0s"),
        Instance::start(&etcd, "new", "v2", "0s"),
        Instance::start(&etcd, "fast", "v3", "0s"),
        Instance::start(&etcd, "slow", "v3", "50ms"),
        Instance::start(&etcd, "fast-too", "v3", "0s"),
    ];
    wait_for("five registered", Duration::from_secs(20), || async {
        ids(&registry).await.len() == 5
    })
    .await;
    let v2 = spread(&client(&registry, Some("v2")), 40).await;
    assert_eq!(v2.keys().collect::<Vec<_>>(), ["new"], "{v2:?}");

    let v3 = spread(&client(&registry, Some("v3")), 200).await;
    let slow = v3.get("slow").copied().unwrap_or(0);
    assert!(slow < 50, "the slow instance got {slow} of 200: {v3:?}");
    assert!(!v3.contains_key("old") && !v3.contains_key("new"), "{v3:?}");
}
