//! The well-known string formats (`email`, `uri`, `uuid`, `ip`): small checks of
//! the shapes protovalidate accepts, without a parser crate.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `local@domain`: a non-empty local part without spaces or `<>`, and a domain of
/// dot-separated labels of letters, digits and inner hyphens.
pub(super) fn email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && local.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '@' | '<' | '>' | '(' | ')' | ',' | ';' | ':' | '\\' | '"' | '[' | ']'
                )
        })
        && hostname(domain)
}

/// Dot-separated labels of 1 to 63 letters, digits and inner hyphens; at most 253 bytes.
fn hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// An absolute URI: a scheme (`letter *(letter / digit / + / - / .)`), `:`, and
/// a rest without spaces, controls or characters RFC 3986 never allows raw.
pub(super) fn uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && rest.chars().all(|c| {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// `8-4-4-4-12` hex digits, either case.
pub(super) fn uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// An IPv4 or IPv6 address.
pub(super) fn ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// An IPv4 address in dotted form.
pub(super) fn ipv4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}

/// An IPv6 address.
pub(super) fn ipv6(s: &str) -> bool {
    s.parse::<Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_refuse() {
        assert!(email("a.b+c@example.com"));
        assert!(!email("a@b@"));
        assert!(!email("no-at.example.com"));
        assert!(!email("a@-bad.com"));
        assert!(uri("https://example.com/a?b=c"));
        assert!(uri("urn:isbn:0451450523"));
        assert!(!uri("/relative/path"));
        assert!(!uri("https://exa mple.com"));
        assert!(uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!uuid("123e4567e89b12d3a456426614174000"));
        assert!(ip("::1") && ip("10.0.0.1") && !ip("10.0.0"));
        assert!(ipv4("10.0.0.1") && !ipv4("::1"));
        assert!(ipv6("::1") && !ipv6("10.0.0.1"));
    }
}
