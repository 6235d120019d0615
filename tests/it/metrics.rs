//! Request metrics in one process: the metrics middleware on both servers and a
//! client, and the Prometheus page at `server.http.metrics`, read as a scraper
//! reads it. (The process-wide recorder is installed by the first test here that
//! starts such a server; the assertions read their own operations' series only.
//! Peers we did not write, promtool and a real Prometheus, are in `example_metrics`.)

use kratos::http::PROMETHEUS_TEXT;
use kratos::middleware::metrics;
use kratos::prelude::*;

use crate::common::scrape::{http_with_metrics, sample};
use crate::common::{Echo, EchoClient, EchoImpl, EchoRequest, EchoServer, grpc_url, http_url};
use crate::curl;

#[tokio::test]
async fn calls_on_both_transports_are_counted_and_timed_on_the_scrape_page() {
    let http = http_with_metrics();
    let app = App::builder()
        .handle_signals(false)
        .server(HttpServer::from_config(http).middleware(metrics::server()))
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .middleware(metrics::server()),
        )
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .unwrap();
    let base = http_url(&app);
    let grpc = grpc_url(&app);
    for _ in 0..3 {
        assert_eq!(curl::get(&format!("{base}/v1/echo/a")).await.status, 200);
    }
    assert_eq!(
        curl::get(&format!("{base}/v1/fail/nobody")).await.status,
        404
    );
    assert_eq!(
        curl::get(&format!("{base}/v1/fail/plain")).await.status,
        500
    );
    let client = EchoClient::grpc(&grpc)
        .unwrap()
        .middleware(metrics::client());
    client.grpc_only(EchoRequest::default()).await.unwrap();

    let scrape = curl::get(&format!("{base}/metrics")).await;
    assert_eq!(scrape.status, 200);
    assert_eq!(scrape.content_type(), PROMETHEUS_TEXT);
    let page = scrape.text();
    let echo = r#"{kind="http",operation="/test.v1.Echo/Echo",code="200",reason=""}"#;
    assert_eq!(
        sample(page, &format!("server_requests_code_total{echo}")),
        Some(3.0),
        "{page}"
    );
    let missing =
        r#"{kind="http",operation="/test.v1.Echo/Fail",code="404",reason="USER_NOT_FOUND"}"#;
    assert_eq!(
        sample(page, &format!("server_requests_code_total{missing}")),
        Some(1.0),
        "{page}"
    );
    let failed = r#"{kind="http",operation="/test.v1.Echo/Fail",code="500",reason=""}"#;
    assert_eq!(
        sample(page, &format!("server_requests_code_total{failed}")),
        Some(1.0),
        "{page}"
    );
    let grpc_ok = r#"{kind="grpc",operation="/test.v1.Echo/GrpcOnly",code="200",reason=""}"#;
    assert_eq!(
        sample(page, &format!("server_requests_code_total{grpc_ok}")),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        sample(page, &format!("client_requests_code_total{grpc_ok}")),
        Some(1.0),
        "{page}"
    );
    // A histogram with Go kratos's buckets, counting the calls.
    let timed = r#"{kind="http",operation="/test.v1.Echo/Echo""#;
    assert_eq!(
        sample(page, &format!("server_requests_seconds_count{timed}}}")),
        Some(3.0),
        "{page}"
    );
    for le in [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf",
    ] {
        let bucket = format!(r#"server_requests_seconds_bucket{timed},le="{le}"}}"#);
        assert!(sample(page, &bucket).is_some(), "no {bucket} in {page}");
    }
    // The scrape itself went past the chain: it is no series of its own.
    assert!(!page.contains("/metrics"), "{page}");
}

/// Issue 20: the middleware keeps the handles of the series it wrote. A call must
/// still land in the series of its own name, kind, operation and code, whichever
/// call of the same operation resolved a series first (series names of their own,
/// so the other tests sharing the process-wide recorder do not count in them).
#[tokio::test]
async fn each_call_lands_in_its_own_series_by_name_kind_operation_and_code() {
    let http = http_with_metrics();
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
    let base = http_url(&app);
    let grpc = grpc_url(&app);
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
