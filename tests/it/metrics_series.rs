//! The metrics middleware keeps the handles of the series it wrote (issue 20): a
//! call must still land in the series of its own name, kind, operation and code,
//! whichever call of the same operation resolved a series first. Read from the
//! Prometheus page as a scraper reads it; the series here have names of their
//! own, so the other tests sharing the process-wide recorder do not count in them.

use kratos::http::HttpConfig;
use kratos::middleware::metrics;
use kratos::prelude::*;

use crate::common::scrape::sample;
use crate::common::{Echo as _, EchoClient, EchoImpl, EchoRequest, EchoServer};
use crate::curl;

#[tokio::test]
async fn each_call_lands_in_its_own_series_by_name_kind_operation_and_code() {
    let mut http = HttpConfig::default();
    http.addr = "127.0.0.1:0".into();
    http.metrics = Some("/metrics".into());
    let first = || metrics::server().names("series_a_total", "series_a_seconds");
    let app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::from_config(http)
                .middleware(first())
                .middleware(metrics::server().names("series_b_total", "series_b_seconds")),
        )
        .server(GrpcServer::new().address("127.0.0.1:0").middleware(first()))
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .unwrap();
    let base = app.endpoint("http").unwrap().to_owned();
    let grpc = app
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    for _ in 0..2 {
        assert_eq!(curl::get(&format!("{base}/v1/echo/a")).await.status, 200);
    }
    for _ in 0..3 {
        let created = curl::send("POST", &format!("{base}/v1/users/7"), &[], "{}").await;
        assert_eq!(created.status, 201, "{}", created.text());
    }
    for _ in 0..2 {
        let failed = curl::get(&format!("{base}/v1/fail/plain")).await;
        assert_eq!(failed.status, 500);
    }
    let client = EchoClient::grpc(&grpc).unwrap();
    for _ in 0..4 {
        client.create(EchoRequest::default()).await.unwrap();
    }

    let page = curl::get(&format!("{base}/metrics")).await;
    let page = page.text();
    let count = |name: &str, labels: &str| sample(page, &format!("{name}{{{labels}}}"));
    for name in ["series_a_total", "series_b_total"] {
        let echo = r#"kind="http",operation="/test.v1.Echo/Echo",code="200",reason="""#;
        assert_eq!(count(name, echo), Some(2.0), "{name} {page}");
        let create = r#"kind="http",operation="/test.v1.Echo/Create",code="201",reason="""#;
        assert_eq!(count(name, create), Some(3.0), "{name} {page}");
        let fail = r#"kind="http",operation="/test.v1.Echo/Fail",code="500",reason="""#;
        assert_eq!(count(name, fail), Some(2.0), "{name} {page}");
    }
    // The operation HTTP answers with 201 is a 200 over gRPC.
    let grpc_create = r#"kind="grpc",operation="/test.v1.Echo/Create",code="200",reason="""#;
    assert_eq!(count("series_a_total", grpc_create), Some(4.0), "{page}");
    assert_eq!(count("series_b_total", grpc_create), None, "{page}");
    let timed = |kind: &str| format!(r#"kind="{kind}",operation="/test.v1.Echo/Create""#);
    assert_eq!(
        count("series_a_seconds_count", &timed("http")),
        Some(3.0),
        "{page}"
    );
    assert_eq!(
        count("series_a_seconds_count", &timed("grpc")),
        Some(4.0),
        "{page}"
    );
    assert_eq!(
        count("series_b_seconds_count", &timed("http")),
        Some(3.0),
        "{page}"
    );
    // A series each: no code or kind ran into another's.
    let a_series = page
        .lines()
        .filter(|line| line.starts_with("series_a_total{"))
        .count();
    assert_eq!(a_series, 4, "{page}");
}
