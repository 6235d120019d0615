//! hyper answers some broken HTTP/1.1 requests itself, before any service runs:
//! 431 for too many or too large headers, 414 for an overlong URI, 400 for a request
//! it cannot parse, each with an empty body. A kratos server answers every error in
//! the kratos error body, so the connection recognises those automatic answers as
//! they are written and writes the same status with the kratos JSON body instead.
//!
//! An automatic answer is a response head that no call produced: the connection
//! counts the calls that reached the service and the response heads written, and
//! only a head beyond that count, with `content-length: 0`, is replaced.

use kratos_core::Error;
use kratos_core::encoding::Encode;

/// What hyper writes for its automatic answers, in a `content-length: 0` head.
const STATUS_LINE: &[u8] = b"HTTP/1.1 ";

/// Whether `buf` begins a response head (not a 1xx interim one).
pub(super) fn is_final_head(buf: &[u8]) -> bool {
    buf.starts_with(STATUS_LINE) && buf.get(STATUS_LINE.len()).is_some_and(|&b| b != b'1')
}

/// The kratos error body for an automatic answer `head`, as the bytes to send in
/// its place, or `None` when `head` is not one hyper writes on its own.
pub(super) fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let code = head.get(STATUS_LINE.len()..STATUS_LINE.len() + 3)?;
    let (code, reason, message) = match code {
        b"400" => (400, "BAD_REQUEST", "the request is not valid HTTP/1.1"),
        b"414" => (414, "URI_TOO_LONG", "the request URI is too long"),
        b"431" => (
            431,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
            "the request has too many headers or headers too large for this server (server.http.max_headers, server.http.max_header_bytes)",
        ),
        _ => return None,
    };
    if !head.ends_with(b"\r\n\r\n") || !contains(head, b"\r\ncontent-length: 0\r\n") {
        return None;
    }
    let status_line_end = head.windows(2).position(|w| w == b"\r\n")?;
    let mut body = Vec::with_capacity(256);
    // An Error's JSON cannot fail: string keys and plain fields only.
    let _ = Error::new(code, reason, message).encode_json(&mut body);
    let mut out = Vec::with_capacity(body.len() + 160);
    out.extend_from_slice(&head[..status_line_end]);
    out.extend_from_slice(b"\r\nconnection: close\r\ncontent-type: application/json\r\n");
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_431_becomes_the_kratos_body() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sat, 28 Nov 2026 06:45:41 GMT\r\n\r\n";
        assert!(is_final_head(head));
        let out = String::from_utf8(replacement(head).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["code"], 431);
        assert_eq!(body["reason"], "REQUEST_HEADER_FIELDS_TOO_LARGE");
    }

    #[test]
    fn other_heads_are_left_alone() {
        assert!(!is_final_head(b"HTTP/1.1 100 Continue\r\n\r\n"));
        assert!(replacement(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            replacement(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n").is_none(),
            "a 400 with a body was written by a handler"
        );
    }
}
