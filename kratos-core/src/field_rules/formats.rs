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
        // A mail domain takes no final dot, where a hostname may.
        && !domain.ends_with('.')
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

/// An absolute URI as RFC 3986 writes one: a scheme (`letter *(letter / digit / + /
/// - / .)`), `:`, then only the characters RFC 3986 allows (ASCII, `%` with two hex
/// digits), brackets only around the host, and at most one `#`.
pub(super) fn uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let (before_fragment, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    // The host (of `//host/path`) is the one place brackets may stand.
    let (authority, path) = match before_fragment.strip_prefix("//") {
        Some(after) => after.split_at(after.find(['/', '?']).unwrap_or(after.len())),
        None => ("", before_fragment),
    };
    let bracketed = authority.starts_with('[') && authority.contains(']');
    scheme_ok
        && uri_chars(authority, bracketed)
        && uri_chars(path, false)
        && uri_chars(fragment, false)
        && !fragment.contains('#')
}

/// Whether `part` holds only characters RFC 3986 allows raw (`[` and `]` where
/// `brackets`), every `%` followed by two hex digits.
fn uri_chars(part: &str, brackets: bool) -> bool {
    let b = part.as_bytes();
    b.iter().enumerate().all(|(i, &c)| match c {
        b'%' => b
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
        b'[' | b']' => brackets,
        c => c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&c),
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
    s.parse::<IpAddr>().is_ok() || ipv6(s)
}

/// An IPv4 address in dotted form.
pub(super) fn ipv4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}

/// An IPv6 address, with a zone (`fe80::1%eth0`) or without, as protovalidate takes it.
pub(super) fn ipv6(s: &str) -> bool {
    let (address, zone) = s.split_once('%').unwrap_or((s, "x"));
    !zone.is_empty() && address.parse::<Ipv6Addr>().is_ok()
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
        // Where protovalidate draws the line (tests/it/proto_rules.rs asks it).
        assert!(!email("a@b.c."));
        assert!(uri("x:") && uri("http://[::1]/") && uri("http://a/%41"));
        assert!(!uri("http://a/%zz") && !uri("https://é.com/") && !uri("http://a#b#c"));
        assert!(ipv6("fe80::1%eth0") && ip("fe80::1%eth0") && !ipv6("fe80::1%"));
    }
}
