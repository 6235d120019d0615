//! Credentials never reach a log: the headers that carry them, and how a header
//! map is shown wherever the framework formats one (a [`Context`](crate::Context)'s
//! `Debug`, a hand-written route's request as the logging middleware prints it).
//!
//! `authorization`, `proxy-authorization`, `cookie` and `set-cookie` are always
//! hidden; [`add_sensitive_header`] adds more for the whole process (an API-key
//! header, a session token). A hidden value is written as `<redacted>`, so a log
//! still shows that the header was there.

use std::fmt;
use std::sync::RwLock;

use http::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderName, PROXY_AUTHORIZATION, SET_COOKIE};

/// The headers hidden besides the four built-in ones, added by [`add_sensitive_header`].
static EXTRA: RwLock<Vec<HeaderName>> = RwLock::new(Vec::new());

/// Hides the value of header `name` in every log of this process from now on;
/// an invalid header name is ignored (no request can carry it).
pub fn add_sensitive_header(name: &str) {
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    let mut extra = EXTRA.write().unwrap_or_else(|p| p.into_inner());
    if !extra.contains(&name) {
        extra.push(name);
    }
}

/// True when the value of header `name` must not be logged.
pub fn is_sensitive(name: &HeaderName) -> bool {
    *name == AUTHORIZATION
        || *name == PROXY_AUTHORIZATION
        || *name == COOKIE
        || *name == SET_COOKIE
        || EXTRA
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(name)
}

/// A header map as a log may show it: every name, the values of credentials hidden.
pub struct Redacted<'a>(pub &'a HeaderMap);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if is_sensitive(name) {
                map.entry(name, &format_args!("<redacted>"));
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_hidden_and_the_rest_shown() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer secret-token".parse().unwrap());
        headers.insert(COOKIE, "session=secret-cookie".parse().unwrap());
        headers.insert("x-api-key", "secret-key".parse().unwrap());
        headers.insert("x-request-id", "r-1".parse().unwrap());
        let before = format!("{:?}", Redacted(&headers));
        assert!(before.contains("secret-key"), "{before}");
        add_sensitive_header("X-Api-Key");
        add_sensitive_header("not a header");
        let shown = format!("{:?}", Redacted(&headers));
        for secret in ["secret-token", "secret-cookie", "secret-key"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("\"authorization\": <redacted>"), "{shown}");
        assert!(shown.contains("r-1"), "{shown}");
    }
}
