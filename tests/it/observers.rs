//! Metrics and tracing together as observers (issue 20): with nothing else acting
//! on a call, a server runs them around a direct call of the method instead of
//! through the chain. What the chain gave must still be there: a panic counted and
//! traced as the 500 `UNKNOWN` the caller gets, a call the server timeout cut as
//! 504 `TIMEOUT` (its span ended by the guard, with no error event of an answer it
//! never gave), a success with its code and the reply's size, the trace current
//! inside the handler; and a user middleware that acts beside them still runs, in
//! its place in the chain.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kratos::middleware::{Next, Reply, Request, metrics, tracing as traces};
use kratos::prelude::*;
use opentelemetry::trace::Status;

use crate::common::scrape::{http_with_metrics, sample};
use crate::common::spans::{attribute, provider};
use crate::common::{EchoImpl, EchoServer, http_url};
use crate::curl;

/// Writes down that it ran, then hands the call on: a middleware that acts.
struct Mark(Arc<Mutex<Vec<&'static str>>>);

#[kratos::middleware]
impl Middleware for Mark {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        self.0.lock().unwrap().push(ctx.operation());
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn metrics_and_tracing_alone_see_panics_timeouts_and_replies_as_the_chain_did() {
    let (provider, collected) = provider();
    // Series names of their own: other tests share the process-wide recorder.
    let counted = || metrics::server().names("observed_requests_total", "observed_seconds");
    let http = http_with_metrics();
    let mut app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::from_config(http)
                .timeout(Duration::from_millis(300))
                .middleware(traces::server().provider(&provider))
                .middleware(counted()),
        )
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .unwrap();
    let base = http_url(&app);

    let ok = curl::get(&format!("{base}/v1/echo/a")).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let panicked = curl::get(&format!("{base}/v1/fail/panic")).await;
    curl::assert_error(&panicked, 500, "UNKNOWN");
    let cut = curl::get(&format!("{base}/v1/sleep/5000")).await;
    curl::assert_error(&cut, 504, "TIMEOUT");

    let page = curl::get(&format!("{base}/metrics")).await;
    let page = page.text();
    let series = |operation: &str, code: &str, reason: &str| {
        format!(
            r#"observed_requests_total{{kind="http",operation="/test.v1.Echo/{operation}",code="{code}",reason="{reason}"}}"#
        )
    };
    assert_eq!(
        sample(page, &series("Echo", "200", "")),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        sample(page, &series("Fail", "500", "UNKNOWN")),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        sample(page, &series("Sleep", "504", "TIMEOUT")),
        Some(1.0),
        "{page}"
    );
    let timed = r#"observed_seconds_count{kind="http",operation="/test.v1.Echo/Sleep"}"#;
    assert_eq!(sample(page, timed), Some(1.0), "{page}");
    app.stop().await.unwrap();

    let ok = collected.one("/test.v1.Echo/Echo");
    assert_eq!(ok.status, Status::Ok);
    assert!(attribute(&ok, "send_msg.size").is_some(), "{ok:#?}");
    assert_eq!(attribute(&ok, "rpc.status_code"), None);

    let panicked = collected.one("/test.v1.Echo/Fail");
    assert_eq!(
        attribute(&panicked, "rpc.status_code").as_deref(),
        Some("500")
    );
    assert!(
        matches!(&panicked.status, Status::Error { description } if description.contains("UNKNOWN")),
        "{:?}",
        panicked.status
    );
    assert_eq!(
        panicked.events.len(),
        1,
        "the error recorded: {panicked:#?}"
    );

    let cut = collected.one("/test.v1.Echo/Sleep");
    assert_eq!(attribute(&cut, "rpc.status_code").as_deref(), Some("504"));
    assert_eq!(
        cut.status,
        Status::error(
            "error: code = 504 reason = TIMEOUT message = the call did not finish within its timeout"
        )
    );
    assert!(cut.events.is_empty(), "no answer to record: {cut:#?}");
}

#[tokio::test]
async fn a_middleware_that_acts_beside_the_observers_still_runs_and_is_observed() {
    let (provider, collected) = provider();
    let marks = Arc::new(Mutex::new(Vec::new()));
    let http = http_with_metrics();
    let mut app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::from_config(http)
                .middleware(traces::server().provider(&provider))
                .middleware(metrics::server().names("marked_requests_total", "marked_seconds"))
                .middleware(Mark(marks.clone())),
        )
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .unwrap();
    let base = http_url(&app);
    assert_eq!(curl::get(&format!("{base}/v1/echo/a")).await.status, 200);
    let panicked = curl::get(&format!("{base}/v1/fail/panic")).await;
    curl::assert_error(&panicked, 500, "UNKNOWN");
    let page = curl::get(&format!("{base}/metrics")).await;
    let page = page.text();
    app.stop().await.unwrap();

    assert_eq!(
        *marks.lock().unwrap(),
        ["/test.v1.Echo/Echo", "/test.v1.Echo/Fail"]
    );
    let echo =
        r#"marked_requests_total{kind="http",operation="/test.v1.Echo/Echo",code="200",reason=""}"#;
    assert_eq!(sample(page, echo), Some(1.0), "{page}");
    let fail = r#"marked_requests_total{kind="http",operation="/test.v1.Echo/Fail",code="500",reason="UNKNOWN"}"#;
    assert_eq!(sample(page, fail), Some(1.0), "{page}");
    assert_eq!(collected.one("/test.v1.Echo/Echo").status, Status::Ok);
    assert_eq!(
        attribute(&collected.one("/test.v1.Echo/Fail"), "rpc.status_code").as_deref(),
        Some("500")
    );
}
