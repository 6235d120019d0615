//! The limits every connection of a server lives under, read from `server.http` and
//! `server.grpc`: how long a client may take to send a request's headers and its
//! body, how long a connection may sit with nothing in flight, how many connections
//! are served at once, how large a request's headers may be, and the HTTP/2 keep-alive
//! pings and stream cap. Each has a default that holds off slow and idle clients
//! (slowloris) without a user having to think about it.

use std::time::Duration;

use hyper_util::rt::TokioTimer;
use hyper_util::server::conn::auto::Builder;
use serde::{Deserialize, Deserializer};

/// How long a client may take to send a request's headers: 10 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive after its headers: 60 seconds.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a connection may stay open with no request in flight: 120 seconds.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How many connections one server serves at once: 10000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// The largest request head (request line and headers), in bytes: 64 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most headers one request may carry: 100.
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// How often an HTTP/2 connection is pinged to find a dead peer: 60 seconds.
pub const DEFAULT_HTTP2_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// How long a ping may go unanswered before the connection is closed: 20 seconds.
pub const DEFAULT_HTTP2_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// The most calls (HTTP/2 streams) open at once on one connection: 200.
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 200;

/// The smallest read buffer hyper accepts.
const MIN_HYPER_BUFFER: usize = 8 * 1024;

/// hyper's own header count, which it keeps on the stack; any other count costs an
/// allocation per request, so it is only passed on when it differs.
const HYPER_MAX_HEADERS: usize = 100;

/// The connection limits of one server: the keys below sit directly in
/// `server.http` and `server.grpc` (`server.http.header_read_timeout: 5s`). A
/// timeout of `0s` turns that timeout off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// How long a client may take to send a request's headers, counted from the
    /// connection's accept for its first request and from the first byte of each
    /// later one; a connection still sending them then is closed. Later requests
    /// and idle spells are checked every `min(header_read_timeout, idle_timeout)`,
    /// so they may run up to one such period over. Default 10s.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive, counted from when it is first
    /// read (right after the headers, for a route that takes a body); a body still
    /// arriving then is cut (HTTP answers 408 `REQUEST_TIMEOUT`, gRPC
    /// `DEADLINE_EXCEEDED`) and the connection closed. Default 60s.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub body_read_timeout: Duration,
    /// How long a connection may stay open with no request in flight (an idle
    /// HTTP/1.1 keep-alive connection, an HTTP/2 connection with no stream open)
    /// before it is closed, with a GOAWAY on HTTP/2. Default 120s.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub idle_timeout: Duration,
    /// The most connections served at once; past it the server stops accepting
    /// until one closes (new clients wait in the listen backlog), so it never runs
    /// out of file descriptors. Default 10000.
    pub max_connections: usize,
    /// The largest request head in bytes: the request line and headers on
    /// HTTP/1.1 (at least 8 KiB), the header list on HTTP/2. Past it the answer is
    /// 431 (on HTTP/1.1 in the kratos error body, reason
    /// `REQUEST_HEADER_FIELDS_TOO_LARGE`). Accepts a number of bytes or a size such
    /// as `64KiB`. Default 64 KiB.
    #[serde(deserialize_with = "deserialize_size")]
    pub max_header_bytes: usize,
    /// The most headers one HTTP/1.1 request may carry; past it the answer is 431
    /// as for [`max_header_bytes`](Self::max_header_bytes). Default 100.
    pub max_headers: usize,
    /// How often an HTTP/2 connection is pinged, to find peers that vanished
    /// without closing it. Default 60s; `0s` sends no pings.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub http2_keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed. Default 20s.
    #[serde(deserialize_with = "kratos_config::duration::deserialize")]
    pub http2_keepalive_timeout: Duration,
    /// The most calls (HTTP/2 streams) open at once on one connection. Default 200.
    pub max_concurrent_streams: u32,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            http2_keepalive_interval: DEFAULT_HTTP2_KEEPALIVE_INTERVAL,
            http2_keepalive_timeout: DEFAULT_HTTP2_KEEPALIVE_TIMEOUT,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
        }
    }
}

/// A timeout of zero means none.
pub(crate) fn enabled(timeout: Duration) -> Option<Duration> {
    (!timeout.is_zero()).then_some(timeout)
}

impl ConnectionConfig {
    /// Passes the limits hyper enforces itself (header size and count, HTTP/2
    /// settings and pings) to the connection builder. Header and idle timeouts are
    /// the serving loop's own, so hyper's header timer stays off.
    pub(crate) fn apply<E: Clone>(&self, builder: &mut Builder<E>) {
        let mut http1 = builder.http1();
        // hyper_util exposes no header-size knob: a request head must fit hyper's
        // read buffer, whose smallest allowed size is 8 KiB.
        http1
            .header_read_timeout(None)
            .max_buf_size(self.max_header_bytes.max(MIN_HYPER_BUFFER));
        if self.max_headers != HYPER_MAX_HEADERS {
            http1.max_headers(self.max_headers);
        }
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(enabled(self.http2_keepalive_interval))
            .keep_alive_timeout(self.http2_keepalive_timeout)
            .max_concurrent_streams(self.max_concurrent_streams)
            .max_header_list_size(u32::try_from(self.max_header_bytes).unwrap_or(u32::MAX));
    }

    /// The connection cap, at least one.
    pub(crate) fn connection_slots(&self) -> usize {
        self.max_connections.max(1)
    }
}

/// Deserializes a size in bytes from a number or from text such as `4MiB`, `512KiB`,
/// `64KB` or `1048576` (K/M/G are 1024-based, KB/MB/GB 1000-based, as `du` reads them).
pub(crate) fn deserialize_size<'de, D: Deserializer<'de>>(de: D) -> Result<usize, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    let bytes = match Raw::deserialize(de)? {
        Raw::Bytes(n) => n,
        Raw::Text(text) => parse_size(&text).map_err(serde::de::Error::custom)?,
    };
    usize::try_from(bytes).map_err(|_| serde::de::Error::custom("size too large"))
}

/// Parses `4MiB`-style text into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}: expected bytes or a size such as 4MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "invalid size {text:?}: unknown unit {other:?} (B, KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("invalid size {text:?}: too large"))
}

/// The process's soft limit on open files, where the platform tells it.
pub(crate) fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("4 MiB"), Ok(4 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(parse_size("lots").is_err());
        assert!(
            parse_size("4 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn keys_have_their_documented_defaults_and_read_from_config() {
        let config: ConnectionConfig = serde_json::from_value(serde_json::json!({
            "header_read_timeout": "1s",
            "max_header_bytes": "8KiB",
            "max_connections": 3,
            "idle_timeout": "0s",
        }))
        .unwrap();
        assert_eq!(config.header_read_timeout, Duration::from_secs(1));
        assert_eq!(config.max_header_bytes, 8 * 1024);
        assert_eq!(config.max_connections, 3);
        assert_eq!(enabled(config.idle_timeout), None);
        assert_eq!(config.body_read_timeout, DEFAULT_BODY_READ_TIMEOUT);
        assert_eq!(config.max_concurrent_streams, 200);
    }
}
