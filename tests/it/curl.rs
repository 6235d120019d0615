//! One HTTP request the way curl sends it, from a plain hyper client, and the answer
//! as its user sees it: status, headers and the body's bytes. The generated clients
//! are under test; this is the independent caller beside them, for what they never
//! send (raw bodies, odd headers, other codecs) and for reading the bytes on the wire.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// What came back.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|e| panic!("not a text body ({e}): {:?}", self.body))
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `content-type` header, empty when there is none.
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map_or("", |v| v.to_str().expect("a text content-type"))
    }
}

/// Sends one request, with `headers` and `body`, on a connection of its own; the
/// error when the server cannot be reached.
pub async fn try_send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Result<Answer, hyper_util::client::legacy::Error> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = Full::new(Bytes::copy_from_slice(body.as_ref()));
    let response = client.request(request.body(body).unwrap()).await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the whole body");
    Ok(Answer {
        status,
        headers,
        body: body.to_bytes().to_vec(),
    })
}

/// [`try_send`] to a server that is there.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Answer {
    try_send(method, url, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {url} was not sent: {e}"))
}

/// A bare `GET`.
pub async fn get(url: &str) -> Answer {
    send("GET", url, &[], "").await
}

/// Asserts a kratos error body with this code and reason.
pub fn assert_error(answer: &Answer, code: u16, reason: &str) {
    let body = answer.text();
    assert_eq!(answer.status, code, "status; body {body}");
    assert_eq!(answer.content_type(), "application/json");
    let json = answer.json();
    assert_eq!(json["code"], code, "{json}");
    assert_eq!(json["reason"], reason, "{json}");
    assert!(json["message"].is_string(), "{json}");
    assert!(json["metadata"].is_object(), "{json}");
}
