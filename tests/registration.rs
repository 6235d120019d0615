//! `#[kratos::service]` on an impl: registered through `inventory` and assembled by
//! the start-up sequence of `#[kratos::main]`, built from a config key.
//!
//! A test binary of its own, not a module of `tests/it`: `bootstrap::app_builder`
//! builds every impl registered in the process, so this binary holds exactly one,
//! and the other tests' `app_builder` would otherwise have to configure it too.

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

use kratos::Config;

#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
}

#[kratos::service(package = "registration.v1")]
pub trait Greeter {
    #[route(get = "/hello/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// Built from the `greeter` key of the config.
#[derive(serde::Deserialize)]
pub struct ConfiguredGreeter {
    greeting: String,
}

#[kratos::service(config = "greeter")]
impl Greeter for ConfiguredGreeter {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply {
            message: format!("{} {}", self.greeting, req.name),
        })
    }
}

fn config(greeter: Option<serde_json::Value>) -> Config {
    let mut tree = serde_json::json!({
        "server": {
            "http": {"addr": "127.0.0.1:0", "timeout": "2s"},
            "grpc": {"addr": "127.0.0.1:0"}
        }
    });
    if let Some(greeter) = greeter {
        tree["greeter"] = greeter;
    }
    Config::from_value(tree)
}

#[tokio::test]
async fn registered_impl_is_built_from_config_and_served_on_both_transports() {
    let builder = kratos::bootstrap::app_builder(
        "reg",
        "v9",
        config(Some(serde_json::json!({"greeting": "Hi"}))),
    )
    .expect("the registered service builds");
    let running = builder.handle_signals(false).build().start().await.unwrap();
    assert_eq!(running.info().version, "v9");
    let http = GreeterClient::http(running.endpoint("http").unwrap()).unwrap();
    let grpc_url = running
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    let grpc = GreeterClient::grpc(&grpc_url).unwrap();
    for client in [http, grpc] {
        let reply = client
            .say_hello(HelloRequest { name: "ann".into() })
            .await
            .unwrap();
        assert_eq!(reply.message, "Hi ann");
    }
}

#[tokio::test]
async fn a_service_added_by_hand_replaces_the_registered_one() {
    let builder = kratos::bootstrap::app_builder(
        "reg",
        "v1",
        config(Some(serde_json::json!({"greeting": "Hi"}))),
    )
    .unwrap()
    .service(ConfiguredGreeter {
        greeting: "Howdy".into(),
    });
    let running = builder.handle_signals(false).build().start().await.unwrap();
    let http = GreeterClient::http(running.endpoint("http").unwrap()).unwrap();
    let reply = http
        .say_hello(HelloRequest { name: "bo".into() })
        .await
        .unwrap();
    assert_eq!(reply.message, "Howdy bo");
}

#[test]
fn missing_config_key_is_a_start_error_naming_the_key() {
    let err = kratos::bootstrap::app_builder("reg", "v1", config(None))
        .err()
        .expect("build fails");
    assert!(err.message.contains("\"greeter\""), "{}", err.message);
    assert!(err.message.contains("ConfiguredGreeter"), "{}", err.message);
}

#[test]
fn bad_server_config_is_a_start_error() {
    let bad = Config::from_value(serde_json::json!({"server": {"http": {"timeout": "soon"}}}));
    let err = kratos::bootstrap::app_builder("reg", "v1", bad)
        .err()
        .expect("build fails");
    assert!(err.message.contains("server"), "{}", err.message);
}
