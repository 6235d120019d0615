//! Reading a Prometheus text page as a scraper reads it.

/// The value of the sample whose line starts with `series` (name and labels).
pub fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}
