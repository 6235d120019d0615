//! The application lifecycle: hooks in order, stop from code, start-up errors.

use std::sync::{Arc, Mutex};

use kratos::prelude::*;

use crate::common::{EchoImpl, EchoServer};
use crate::curl::{send, try_send};

type Log = Arc<Mutex<Vec<&'static str>>>;

fn note(
    log: &Log,
    what: &'static str,
) -> impl FnOnce() -> std::future::Ready<kratos::Result<()>> + Send + 'static {
    let log = log.clone();
    move || {
        log.lock().unwrap().push(what);
        std::future::ready(Ok(()))
    }
}

#[tokio::test]
async fn hooks_run_in_go_kratos_order_and_handle_stops_the_app() {
    let log: Log = Default::default();
    let app = App::builder()
        .name("hooks")
        .version("v1")
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .service(EchoServer::new(EchoImpl))
        .before_start(note(&log, "before_start"))
        .after_start(note(&log, "after_start"))
        .before_stop(note(&log, "before_stop"))
        .after_stop(note(&log, "after_stop"))
        .build();
    let handle = app.handle();
    let running = app.start().await.unwrap();
    assert_eq!(running.info().name, "hooks");
    assert_eq!(*log.lock().unwrap(), ["before_start", "after_start"]);
    let url = running.endpoint("http").unwrap().to_owned();
    assert!(!url.ends_with(":0"), "the bound port is reported: {url}");
    assert_eq!(
        send("GET", &format!("{url}/v1/echo/a"), &[], "")
            .await
            .status,
        200
    );

    let waiting = tokio::spawn(running.wait());
    handle.stop();
    waiting.await.unwrap().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["before_start", "after_start", "before_stop", "after_stop"]
    );
    let refused = try_send("GET", &format!("{url}/v1/echo/a"), &[], "").await;
    assert!(refused.is_err(), "a stopped server accepts no connection");
}

#[tokio::test]
async fn failing_before_start_hook_aborts_the_start() {
    let log: Log = Default::default();
    let result = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .before_start(|| async { Err(Error::internal_server("DB", "database unreachable")) })
        .after_start(note(&log, "after_start"))
        .build()
        .start()
        .await;
    let err = result.err().expect("start fails");
    assert_eq!(err.reason, "DB");
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn port_in_use_is_a_clear_start_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address(addr.clone()))
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .err()
        .expect("start fails");
    assert!(err.message.contains(&addr), "{}", err.message);
    assert!(err.message.contains("cannot listen"), "{}", err.message);
    assert_eq!(err.reason, "BIND");
    // The local error is kept under the wire error, down to the OS's.
    let local = std::error::Error::source(&err)
        .and_then(|e| e.downcast_ref::<kratos::ServeError>())
        .expect("the ServeError is the source");
    let os = std::error::Error::source(local)
        .and_then(|e| e.downcast_ref::<std::io::Error>())
        .expect("the io::Error is its source");
    assert_eq!(os.kind(), std::io::ErrorKind::AddrInUse);
}

#[tokio::test]
async fn service_without_a_server_is_a_start_error() {
    let err = App::builder()
        .handle_signals(false)
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .err()
        .expect("start fails");
    assert!(err.message.contains("test.v1.Echo"), "{}", err.message);
}

mod other {
    use crate::common::{EchoReply, EchoRequest};

    /// A second service that binds a path the echo service already binds.
    #[kratos::service(package = "test.v1")]
    pub trait Clash {
        #[route(get = "/v1/echo/{name}")]
        async fn clash(&self, req: EchoRequest) -> kratos::Result<EchoReply>;
    }

    pub struct ClashImpl;

    impl Clash for ClashImpl {
        async fn clash(&self, req: EchoRequest) -> kratos::Result<EchoReply> {
            Ok(EchoReply {
                name: req.name,
                ..Default::default()
            })
        }
    }
}

#[tokio::test]
async fn two_services_on_one_route_is_a_start_error() {
    let err = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .service(EchoServer::new(EchoImpl))
        .service(other::ClashServer::new(other::ClashImpl))
        .build()
        .start()
        .await
        .err()
        .expect("start fails");
    assert_eq!(err.reason, "ROUTE_CONFLICT");
    assert!(err.message.contains("/v1/echo/{name}"), "{}", err.message);
}

#[tokio::test]
async fn a_service_added_twice_is_served_once() {
    let running = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .service(EchoServer::new(EchoImpl))
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .expect("the later instance replaces the earlier one");
    let url = running.endpoint("http").unwrap();
    assert_eq!(
        send("GET", &format!("{url}/v1/echo/a"), &[], "")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn services_put_straight_on_a_server_are_services_of_the_app() {
    let app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .service(EchoServer::new(EchoImpl)),
        )
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .service(EchoServer::new(EchoImpl)),
        )
        .build();
    // What the start-up log, `-export-proto` and the registration read.
    let names: Vec<&str> = app.services().iter().map(|s| s.full_name).collect();
    assert_eq!(names, ["test.v1.Echo"]);
}
