//! Generated clients over both transports: the same replies and the same errors.

use std::time::Duration;

use kratos::prelude::*;

use crate::common::{
    self, Echo, EchoClient, EchoRequest, Page, SleepRequest, grpc_url, http_url, start,
};

fn request() -> EchoRequest {
    EchoRequest {
        name: "bob smith/jr".into(),
        user_id: 77,
        tags: vec!["a".into(), "b c".into()],
        page: Some(Page {
            number: 2,
            size: 10,
        }),
        flag: true,
    }
}

async fn clients(app: &kratos::RunningApp) -> [(&'static str, EchoClient); 2] {
    [
        ("http", EchoClient::http(&http_url(app)).unwrap()),
        ("grpc", EchoClient::grpc(&grpc_url(app)).unwrap()),
    ]
}

#[tokio::test]
async fn both_transports_return_the_same_reply() {
    let app = start().await;
    let ctx = Context::new(Kind::Http, "/client", Default::default());
    for (kind, client) in clients(&app).await {
        let reply = client
            .echo(&ctx, request())
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(reply.name, "bob smith/jr", "{kind}");
        assert_eq!(reply.user_id, 77, "{kind}");
        assert_eq!(reply.tags, ["a", "b c"], "{kind}");
        assert_eq!(
            reply.page,
            Some(Page {
                number: 2,
                size: 10
            }),
            "{kind}"
        );
        assert!(reply.flag, "{kind}");
        assert_eq!(reply.kind, kind);
        assert_eq!(
            reply.operation, "/test.v1.Echo/Echo",
            "same operation on {kind}"
        );
        let created = client.create(request()).await.unwrap();
        assert_eq!(
            (created.user_id, created.name.as_str()),
            (77, "bob smith/jr"),
            "{kind}"
        );
        let paged = client.set_page(request()).await.unwrap();
        assert_eq!(
            paged.page,
            Some(Page {
                number: 2,
                size: 10
            }),
            "{kind}"
        );
        assert_eq!(
            paged.name, "bob smith/jr",
            "{kind}: non-body fields travel in the query"
        );
        let patched = client.patch_page(request()).await.unwrap();
        assert_eq!(
            patched.page,
            Some(Page {
                number: 2,
                size: 10
            }),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn both_transports_return_the_same_error() {
    let app = start().await;
    let mut errors = Vec::new();
    for (kind, client) in clients(&app).await {
        let err = client
            .fail(EchoRequest {
                name: "bob".into(),
                ..Default::default()
            })
            .await
            .expect_err(kind);
        assert_eq!(err.code, 404, "{kind}");
        assert_eq!(err.reason, "USER_NOT_FOUND", "{kind}");
        assert_eq!(err.message, "user bob not found", "{kind}");
        assert_eq!(
            err.metadata.get("name").map(String::as_str),
            Some("bob"),
            "{kind}"
        );
        errors.push(err);
    }
    assert_eq!(errors[0], errors[1]);
}

#[tokio::test]
async fn plain_errors_are_500_with_empty_reason_on_both() {
    let app = start().await;
    for (kind, client) in clients(&app).await {
        let err = client
            .fail(EchoRequest {
                name: "plain".into(),
                ..Default::default()
            })
            .await
            .expect_err(kind);
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (500, "", "internal server error"),
            "{kind}: a plain error's text stays on the server"
        );
        let exposed = client
            .fail(EchoRequest {
                name: "exposed".into(),
                ..Default::default()
            })
            .await
            .expect_err(kind);
        assert_eq!(
            (exposed.code, exposed.message.as_str()),
            (500, "disk on fire"),
            "{kind}: opted in"
        );
        let panicked = client
            .fail(EchoRequest {
                name: "panic".into(),
                ..Default::default()
            })
            .await
            .expect_err(kind);
        assert_eq!(
            (
                panicked.code,
                panicked.reason.as_str(),
                panicked.message.as_str()
            ),
            (500, "UNKNOWN", "unknown request error"),
            "{kind}: a panic is recovered"
        );
        assert!(
            client.create(request()).await.is_ok(),
            "{kind}: the server keeps serving"
        );
    }
}

#[tokio::test]
async fn code_outside_the_grpc_table_arrives_as_500_over_grpc() {
    let app = start().await;
    let [(_, http), (_, grpc)] = clients(&app).await;
    let teapot = || EchoRequest {
        name: "teapot".into(),
        ..Default::default()
    };
    assert_eq!(http.fail(teapot()).await.unwrap_err().code, 418);
    let over_grpc = grpc.fail(teapot()).await.unwrap_err();
    assert_eq!((over_grpc.code, over_grpc.reason.as_str()), (500, "TEAPOT"));
}

#[tokio::test]
async fn grpc_only_method_works_over_grpc_and_is_501_over_http() {
    let app = start().await;
    let [(_, http), (_, grpc)] = clients(&app).await;
    assert_eq!(grpc.grpc_only(request()).await.unwrap().user_id, 77);
    let err = http.grpc_only(request()).await.unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (501, "UNIMPLEMENTED"));
}

#[tokio::test]
async fn client_timeout_is_configurable_and_answers_504() {
    let app = common::start_with_timeout(Duration::from_secs(5)).await;
    for (kind, client) in clients(&app).await {
        let client = client.with_timeout(Duration::from_millis(100));
        let err = client
            .sleep(SleepRequest { millis: 3000 })
            .await
            .expect_err(kind);
        assert_eq!(err.code, 504, "{kind}: {err}");
    }
}

#[tokio::test]
async fn server_timeout_reaches_grpc_clients_as_504() {
    let app = common::start_with_timeout(Duration::from_millis(100)).await;
    let [_, (_, grpc)] = clients(&app).await;
    let err = grpc.sleep(SleepRequest { millis: 3000 }).await.unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (504, "TIMEOUT"));
}

#[tokio::test]
async fn unreachable_server_is_an_error_not_a_hang() {
    let http = EchoClient::http("http://127.0.0.1:1").unwrap();
    assert_eq!(http.create(request()).await.unwrap_err().code, 503);
    let grpc = EchoClient::grpc("http://127.0.0.1:1").unwrap();
    assert_eq!(grpc.create(request()).await.unwrap_err().code, 503);
}

#[test]
fn bad_client_urls_are_rejected() {
    assert!(EchoClient::http("127.0.0.1:8000").is_err());
    assert!(EchoClient::http("ftp://x").is_err());
    assert!(EchoClient::grpc("not a url").is_err());
}
