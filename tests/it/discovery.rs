//! Registration and client-side balancing with the embedded registry, over real
//! sockets: instances register with their bound endpoints, a `discovery:///`
//! client spreads calls over them and follows the list as it changes, a
//! graceful stop deregisters first and no call fails, version filters and p2c.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kratos::prelude::*;
use kratos::registry::{Discovery, Embedded};

/// Asks which instance answers.
#[kratos::message]
pub struct WhoRequest {
    pub caller: String,
}

/// The instance that answered.
#[kratos::message]
pub struct WhoReply {
    pub id: String,
}

/// A service whose instances say who they are.
#[kratos::service(package = "disc.v1")]
pub trait Who {
    /// Names the instance.
    #[route(post = "/v1/who", body = "*")]
    async fn who(&self, req: WhoRequest) -> kratos::Result<WhoReply>;
}

struct Instance {
    id: String,
    delay: Duration,
}

impl Who for Instance {
    async fn who(&self, _req: WhoRequest) -> kratos::Result<WhoReply> {
        tokio::time::sleep(self.delay).await;
        Ok(WhoReply {
            id: self.id.clone(),
        })
    }
}

async fn instance(
    registry: &Embedded,
    id: &str,
    version: &str,
    delay: Duration,
) -> kratos::RunningApp {
    App::builder()
        .handle_signals(false)
        .id(id)
        .name("who")
        .version(version)
        .registry(Arc::new(registry.clone()))
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(WhoServer::new(Instance {
            id: id.to_owned(),
            delay,
        }))
        .stop_timeout(Duration::from_secs(5))
        .build()
        .start()
        .await
        .unwrap()
}

fn ask() -> WhoRequest {
    WhoRequest {
        caller: "test".into(),
    }
}

async fn spread(client: &WhoClient, calls: usize) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..calls {
        let reply = client.who(ask()).await.unwrap();
        *seen.entry(reply.id).or_default() += 1;
    }
    seen
}

fn client(registry: &Embedded, scheme: &str) -> WhoClient {
    let builder = kratos::Client::builder("discovery:///who").discovery(Arc::new(registry.clone()));
    let inner = match scheme {
        "http" => builder.http(),
        _ => builder.grpc(),
    };
    WhoClient::new(inner.unwrap())
}

#[tokio::test]
async fn instances_register_their_bound_endpoints_and_calls_spread_over_them() {
    let registry = Embedded::new();
    let mut apps = Vec::new();
    for id in ["a", "b", "c"] {
        apps.push(instance(&registry, id, "v1", Duration::ZERO).await);
    }
    let listed = registry.get_service("who").await.unwrap();
    assert_eq!(listed.len(), 3);
    for (app, registered) in apps.iter().zip(&listed) {
        assert_eq!(registered.version, "v1");
        assert_eq!(
            registered.endpoints,
            app.endpoints(),
            "the real bound ports are registered"
        );
    }
    for scheme in ["grpc", "http"] {
        let seen = spread(&client(&registry, scheme), 300).await;
        for id in ["a", "b", "c"] {
            assert!(seen.get(id).copied().unwrap_or(0) > 0, "{scheme}: {seen:?}");
        }
    }
    for mut app in apps {
        app.stop().await.unwrap();
    }
    assert!(registry.get_service("who").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_graceful_stop_deregisters_first_and_no_call_fails() {
    let registry = Embedded::new();
    let mut a = instance(&registry, "a", "v1", Duration::from_millis(2)).await;
    let b = instance(&registry, "b", "v1", Duration::from_millis(2)).await;
    let c = instance(&registry, "c", "v1", Duration::from_millis(2)).await;
    for scheme in ["grpc", "http"] {
        let client = client(&registry, scheme);
        spread(&client, 30).await;
    }
    let grpc = client(&registry, "grpc");
    let http = client(&registry, "http");
    let callers: Vec<_> = (0..4)
        .map(|i| {
            let client = if i % 2 == 0 {
                grpc.clone()
            } else {
                http.clone()
            };
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..100 {
                    ids.push(client.who(ask()).await.map(|r| r.id));
                }
                ids
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.stop().await.unwrap();
    let after_stop: Vec<String> = registry
        .get_service("who")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(after_stop, ["b", "c"], "gone from discovery at once");
    for caller in callers {
        for result in caller.await.unwrap() {
            assert!(result.is_ok(), "a call failed during the stop: {result:?}");
        }
    }
    let seen = spread(&grpc, 60).await;
    assert!(!seen.contains_key("a"), "{seen:?}");
    drop((b, c));
}

#[tokio::test]
async fn a_new_instance_takes_traffic_without_a_client_restart() {
    let registry = Embedded::new();
    let _a = instance(&registry, "a", "v1", Duration::ZERO).await;
    let client = client(&registry, "grpc");
    assert_eq!(spread(&client, 20).await.keys().collect::<Vec<_>>(), ["a"]);
    let _b = instance(&registry, "b", "v1", Duration::ZERO).await;
    let mut seen = HashMap::new();
    for _ in 0..200 {
        seen = spread(&client, 10).await;
        if seen.contains_key("b") {
            break;
        }
    }
    assert!(
        seen.contains_key("b"),
        "the new instance got calls: {seen:?}"
    );
}

#[tokio::test]
async fn a_version_filter_calls_only_that_version() {
    let registry = Embedded::new();
    let _apps = [
        instance(&registry, "old-1", "v1", Duration::ZERO).await,
        instance(&registry, "new-1", "v2", Duration::ZERO).await,
        instance(&registry, "new-2", "v2", Duration::ZERO).await,
    ];
    let inner = kratos::Client::builder("discovery:///who")
        .discovery(Arc::new(registry.clone()))
        .filter(kratos::selector::version("v2"))
        .grpc()
        .unwrap();
    let seen = spread(&WhoClient::new(inner), 100).await;
    assert!(!seen.contains_key("old-1"), "{seen:?}");
    assert!(
        seen.contains_key("new-1") && seen.contains_key("new-2"),
        "{seen:?}"
    );

    let none = kratos::Client::builder("discovery:///who")
        .discovery(Arc::new(registry.clone()))
        .filter(kratos::selector::version("v3"))
        .grpc()
        .unwrap();
    let err = WhoClient::new(none).who(ask()).await.unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (503, "NO_AVAILABLE_NODE"));
}

#[tokio::test]
async fn p2c_sends_most_calls_to_the_fast_instances() {
    let registry = Embedded::new();
    let _apps = [
        instance(&registry, "fast-1", "v1", Duration::ZERO).await,
        instance(&registry, "fast-2", "v1", Duration::ZERO).await,
        instance(&registry, "slow", "v1", Duration::from_millis(50)).await,
    ];
    let seen = spread(&client(&registry, "grpc"), 200).await;
    let slow = seen.get("slow").copied().unwrap_or(0);
    assert!(slow < 40, "the slow instance got {slow} of 200: {seen:?}");
}

#[tokio::test]
async fn direct_targets_balance_over_a_fixed_list() {
    let registry = Embedded::new();
    let a = instance(&registry, "a", "v1", Duration::ZERO).await;
    let b = instance(&registry, "b", "v1", Duration::ZERO).await;
    let address = |app: &kratos::RunningApp| app.endpoint("grpc").unwrap().replace("grpc://", "");
    let target = format!("direct:///{},{}", address(&a), address(&b));
    let seen = spread(&WhoClient::grpc(&target).unwrap(), 100).await;
    assert!(seen.contains_key("a") && seen.contains_key("b"), "{seen:?}");
    let err = WhoClient::grpc("discovery:///who").unwrap_err();
    assert!(
        matches!(&err, kratos::ClientError::NoDiscovery { target } if target == "discovery:///who"),
        "{err:?}"
    );
    assert!(err.to_string().contains("needs a registry"), "{err}");
    // Where it must cross as a kratos error (a `main` returning `kratos::Result`):
    let wire = kratos::Error::from(err);
    assert_eq!(
        (wire.code, wire.message.contains("needs a registry")),
        (400, true)
    );
    for (target, expected) in [
        ("direct:///", "direct:///host:port"),
        ("discovery:///", "discovery:///<service name>"),
        ("ftp://x", "write it as http://host:port"),
    ] {
        let err = WhoClient::http(target).unwrap_err();
        assert!(err.to_string().contains(expected), "{target}: {err}");
    }
}

/// A registrar that refuses, or never answers.
struct Broken {
    hang: bool,
}

impl kratos::registry::Registrar for Broken {
    fn register<'a>(
        &'a self,
        _instance: &'a kratos::registry::ServiceInstance,
    ) -> kratos::registry::BoxFuture<'a, kratos::Result<()>> {
        Box::pin(async move {
            if self.hang {
                std::future::pending::<()>().await;
            }
            Err(kratos::Error::service_unavailable(
                "DOWN",
                "the registry is down",
            ))
        })
    }

    fn deregister<'a>(
        &'a self,
        _instance: &'a kratos::registry::ServiceInstance,
    ) -> kratos::registry::BoxFuture<'a, kratos::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_failed_or_slow_registration_stops_the_start_with_a_clear_error() {
    for hang in [false, true] {
        let app = App::builder()
            .handle_signals(false)
            .name("who")
            .registrar(Arc::new(Broken { hang }))
            .registrar_timeout(Duration::from_millis(200))
            .server(GrpcServer::new().address("127.0.0.1:0"))
            .service(WhoServer::new(Instance {
                id: "x".into(),
                delay: Duration::ZERO,
            }))
            .build();
        let err = match app.start().await {
            Ok(_) => panic!("the start succeeded without a registration"),
            Err(err) => err,
        };
        assert_eq!(err.reason, "REGISTRAR");
        let expected = if hang {
            "registrar timeout"
        } else {
            "the registry is down"
        };
        assert!(err.message.contains(expected), "{}", err.message);
    }
}
