//! The helloworld Greeter as one instance of a fleet: it registers in the registry
//! the config names (etcd here, the embedded one without a `registry` section)
//! with its bound endpoints, answers with its instance id so a client can see
//! which instance served it, and deregisters before it drains on SIGTERM.
//!
//! ```text
//! etcd &                                                     # a local etcd on 127.0.0.1:2379
//! cargo run -p kratos-registry-etcd --example registry -- -conf contrib/registry-etcd/examples/registry/configs
//! KRATOS_SERVER_HTTP_ADDR=127.0.0.1:0 KRATOS_SERVER_GRPC_ADDR=127.0.0.1:0 KRATOS_APP__ID=second \
//!   cargo run -p kratos-registry-etcd --example registry -- -conf contrib/registry-etcd/examples/registry/configs
//! etcdctl get --prefix /microservices/helloworld/            # both, as Go kratos writes them
//! ```

use std::time::Duration;

use kratos::prelude::*;
// Links the etcd backend, so `registry.kind: etcd` in the config finds it.
use kratos_registry_etcd as _;
use serde::Deserialize;

/// The request of `SayHello`.
#[kratos::message]
pub struct HelloRequest {
    /// Who to greet.
    pub name: String,
}

/// The reply of `SayHello`.
#[kratos::message]
pub struct HelloReply {
    /// The greeting.
    pub message: String,
    /// The id of the instance that answered.
    pub instance: String,
}

/// The greeting service, as in the helloworld example.
#[kratos::service(package = "helloworld.v1")]
pub trait Greeter {
    /// Greets `name`.
    #[route(get = "/helloworld/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// The `greeter` config section: an artificial delay, to watch p2c avoid a slow instance.
#[derive(Default, Deserialize)]
pub struct GreeterImpl {
    /// Added to every call; default none.
    #[serde(default, deserialize_with = "kratos::config::duration::deserialize")]
    delay: Duration,
    /// Filled in by `main` from the app's instance id.
    #[serde(skip)]
    instance: String,
}

impl Greeter for GreeterImpl {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        Ok(HelloReply {
            message: format!("Hello {}", req.name),
            instance: self.instance.clone(),
        })
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let config = app.loaded_config().clone();
    let mut app = app;
    // Instance identity from the config, so several processes of one binary differ.
    if let Ok(version) = config.value("app.version").string() {
        app = app.version(version);
    }
    let id = match config.value("app.id").string() {
        Ok(id) => id,
        Err(_) => format!("helloworld-{}", std::process::id()),
    };
    let mut greeter: GreeterImpl = config.get("greeter")?.unwrap_or_default();
    greeter.instance = id.clone();
    Ok(app
        .id(id)
        .name("helloworld")
        .service(GreeterServer::new(greeter))
        .build())
}
