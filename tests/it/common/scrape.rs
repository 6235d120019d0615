//! The Prometheus page of a test server: an HTTP config that serves it, and its
//! samples read as a scraper reads them.

use kratos::http::HttpConfig;

/// An HTTP server config on a free loopback port that serves the page at `/metrics`.
pub fn http_with_metrics() -> HttpConfig {
    let mut http = HttpConfig::default();
    http.addr = "127.0.0.1:0".into();
    http.metrics = Some("/metrics".into());
    http
}

/// The value of the sample whose line starts with `series` (name and labels).
pub fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}
