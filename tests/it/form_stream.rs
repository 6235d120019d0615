//! A client stream of `kratos.api.FormChunk` over HTTP: a plain `multipart/form-data`
//! POST read as it arrives, each chunk of each part handed to the handler in order
//! (a part's chunks repeating its name, filename and media type, an empty part one
//! empty chunk); past the route's limit the handler's stream fails with 413 after
//! it has read what came before; a broken form is 400 `CODEC` in the stream; a body
//! that is not a form is 400 `CODEC`, and so are part headers or a preamble past
//! the 1 MiB the parser may hold (a large limit lets no form fill the memory with
//! them). The same method still takes a WebSocket on its GET route and a client
//! stream over gRPC.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kratos::RunningApp;
use kratos::prelude::*;
use kratos::proto::FormChunk;
use kratos::stream::Streaming;
use sha2::{Digest, Sha256};

use crate::common::{grpc_url, http_url};
use crate::curl::{assert_error, send};

/// What [`Forms::describe`] saw of one part.
#[kratos::message]
pub struct PartSeen {
    /// The part's index.
    pub part: u32,
    /// Its name.
    pub name: String,
    /// Its file name, empty for a text part.
    pub filename: String,
    /// Its media type.
    pub content_type: String,
    /// How many chunks it came in.
    pub chunks: u32,
    /// Its bytes.
    pub size: u64,
    /// Their SHA-256, lowercase hex.
    pub sha256: String,
}

/// What [`Forms::describe`] saw of a form.
#[kratos::message]
pub struct FormSeen {
    /// Each part, in order.
    pub parts: Vec<PartSeen>,
}

/// Reads streamed forms.
#[kratos::service(package = "forms.v1")]
pub trait Forms {
    /// Describes every part of the form it is sent.
    #[route(get = "/v1/forms")]
    #[route(post = "/v1/forms", max_body = "1MiB")]
    #[route(put = "/v1/forms", max_body = "64MiB")]
    async fn describe(&self, req: Streaming<FormChunk>) -> kratos::Result<FormSeen>;
    /// [`Forms::describe`] on a POST route only: the generated HTTP client sends
    /// it a streamed form rather than a WebSocket.
    #[route(post = "/v1/uploads", max_body = "1MiB")]
    async fn upload(&self, req: Streaming<FormChunk>) -> kratos::Result<FormSeen>;
}

/// Keeps how many bytes the handler had read when its stream failed.
#[derive(Default)]
struct FormsImpl {
    read_before_error: Arc<AtomicU64>,
}

impl Forms for FormsImpl {
    async fn describe(&self, mut req: Streaming<FormChunk>) -> kratos::Result<FormSeen> {
        let mut parts: Vec<(PartSeen, Sha256)> = Vec::new();
        let mut read = 0u64;
        loop {
            let chunk = match req.message().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => {
                    self.read_before_error.store(read, Ordering::SeqCst);
                    return Err(error);
                }
            };
            read += chunk.data.len() as u64;
            match parts.last_mut() {
                Some((seen, hash)) if seen.part == chunk.part => {
                    let same = (&seen.name, &seen.filename, &seen.content_type)
                        == (&chunk.name, &chunk.filename, &chunk.content_type);
                    if !same {
                        return Err(Error::internal_server("SEEN", "a chunk changed its part"));
                    }
                    seen.chunks += 1;
                    seen.size += chunk.data.len() as u64;
                    hash.update(&chunk.data);
                }
                _ => {
                    if chunk.part as usize != parts.len() {
                        return Err(Error::internal_server("SEEN", "a part out of order"));
                    }
                    let mut hash = Sha256::new();
                    hash.update(&chunk.data);
                    let seen = PartSeen {
                        part: chunk.part,
                        size: chunk.data.len() as u64,
                        name: chunk.name,
                        filename: chunk.filename,
                        content_type: chunk.content_type,
                        chunks: 1,
                        sha256: String::new(),
                    };
                    parts.push((seen, hash));
                }
            }
        }
        let parts = parts
            .into_iter()
            .map(|(mut seen, hash)| {
                seen.sha256 = hex(&hash.finalize());
                seen
            })
            .collect();
        Ok(FormSeen { parts })
    }

    async fn upload(&self, req: Streaming<FormChunk>) -> kratos::Result<FormSeen> {
        self.describe(req).await
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn start(forms: FormsImpl) -> RunningApp {
    App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(FormsServer::new(forms))
        .build()
        .start()
        .await
        .expect("starts")
}

const BOUNDARY: &str = "form-stream-test-boundary";
const FORM: &str = "multipart/form-data; boundary=form-stream-test-boundary";

/// One part of a test form: name, filename (none: a text part), media type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// A form of `parts`.
fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content_type, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(filename) = filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// 300 KB that do not repeat in short runs.
fn file_bytes(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[tokio::test]
async fn a_multipart_body_arrives_as_form_chunks_part_by_part() {
    let app = start(FormsImpl::default()).await;
    let data = file_bytes(300_000);
    let body = form(&[
        ("title", None, None, b"hello"),
        ("file", Some("a.bin"), Some("application/x-a"), &data),
        ("empty", Some("e.txt"), Some("text/plain"), b""),
    ]);
    let url = format!("{}/v1/forms", http_url(&app));
    let res = send("POST", &url, &[("content-type", FORM)], &body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let seen = res.json();
    let parts = seen["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3, "{seen}");
    assert_eq!(parts[0]["name"], "title");
    assert_eq!(parts[0]["filename"], "");
    assert_eq!(parts[0]["size"], "5");
    assert_eq!(parts[0]["sha256"], hex(&Sha256::digest(b"hello")));
    assert_eq!(parts[1]["part"], 1);
    assert_eq!(
        (&parts[1]["name"], &parts[1]["filename"]),
        (&"file".into(), &"a.bin".into())
    );
    assert_eq!(parts[1]["contentType"], "application/x-a");
    assert_eq!(parts[1]["size"], "300000");
    assert_eq!(parts[1]["sha256"], hex(&Sha256::digest(&data)));
    // An empty part is still one chunk, so the handler sees it.
    assert_eq!(parts[2]["name"], "empty");
    assert_eq!(parts[2]["contentType"], "text/plain");
    assert_eq!(parts[2]["chunks"], 1);
    assert_eq!(parts[2]["size"], "0");
}

#[tokio::test]
async fn past_the_routes_limit_the_handler_reads_413_after_what_came_before() {
    let forms = FormsImpl::default();
    let read = forms.read_before_error.clone();
    let app = start(forms).await;
    let data = file_bytes((1 << 20) + 1);
    let body = form(&[("file", Some("big.bin"), None, &data)]);
    let url = format!("{}/v1/forms", http_url(&app));
    let res = send("POST", &url, &[("content-type", FORM)], &body).await;
    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("route's max_body"),
        "{}",
        res.text()
    );
    // The form streamed: the handler had read chunks before the limit cut it.
    let read = read.load(Ordering::SeqCst);
    assert!(read > 0 && read <= 1 << 20, "read {read} bytes first");
}

#[tokio::test]
async fn a_broken_form_is_400_codec_in_the_stream() {
    let app = start(FormsImpl::default()).await;
    let url = format!("{}/v1/forms", http_url(&app));
    // A part that never ends: the body stops before its closing boundary.
    let mut body = form(&[("file", Some("a.bin"), None, &file_bytes(10_000))]);
    body.truncate(5_000);
    let res = send("POST", &url, &[("content-type", FORM)], &body).await;
    assert_error(&res, 400, "CODEC");
    assert!(res.text().contains("multipart"), "{}", res.text());
    // No boundary in the Content-Type: refused before the handler.
    let res = send(
        "POST",
        &url,
        &[("content-type", "multipart/form-data")],
        &body,
    )
    .await;
    assert_error(&res, 400, "CODEC");
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_400_codec_naming_multipart() {
    let app = start(FormsImpl::default()).await;
    let url = format!("{}/v1/forms", http_url(&app));
    let res = send(
        "POST",
        &url,
        &[("content-type", "application/json")],
        r#"{"part": 0}"#,
    )
    .await;
    assert_error(&res, 400, "CODEC");
    let message = res.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("multipart/form-data"), "{message}");
    assert!(message.contains("application/json"), "{message}");
}

#[tokio::test]
async fn part_headers_or_a_preamble_past_a_mebibyte_are_400_under_a_larger_limit() {
    let app = start(FormsImpl::default()).await;
    let url = format!("{}/v1/forms", http_url(&app));
    // 8 MiB of file data passes the same guard: it is handed on as it comes.
    let data = file_bytes(8 << 20);
    let body = form(&[("file", Some("big.bin"), None, &data)]);
    let res = send("PUT", &url, &[("content-type", FORM)], &body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["parts"][0]["size"], "8388608");

    let pad = "a".repeat(2 << 20);
    let mut headers = form(&[("file", Some("a.bin"), None, b"data")]);
    let at = headers.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    headers.splice(at..at, format!("X-Pad: {pad}\r\n").into_bytes());
    let mut preamble = pad.into_bytes();
    preamble.extend_from_slice(b"\r\n");
    preamble.extend_from_slice(&form(&[("file", Some("a.bin"), None, b"data")]));
    for body in [headers, preamble] {
        let res = send("PUT", &url, &[("content-type", FORM)], &body).await;
        assert_error(&res, 400, "CODEC");
        assert!(
            res.text().contains("exceed 1048576 bytes"),
            "{}",
            res.text()
        );
    }
}

/// The chunks of one small form, as a client stream sends them.
fn chunks() -> Vec<FormChunk> {
    let chunk = |part: u32, name: &str, filename: &str, data: &[u8]| FormChunk {
        part,
        name: name.into(),
        filename: filename.into(),
        content_type: String::new(),
        data: data.to_vec(),
    };
    vec![
        chunk(0, "title", "", b"hi"),
        chunk(1, "file", "f.bin", b"abc"),
        chunk(1, "file", "f.bin", b"def"),
    ]
}

#[tokio::test]
async fn the_same_method_takes_a_websocket_and_a_grpc_client_stream() {
    let app = start(FormsImpl::default()).await;
    let clients = [
        // The generated HTTP client opens a WebSocket on the GET route.
        FormsClient::http(&http_url(&app)).unwrap(),
        FormsClient::grpc(&grpc_url(&app)).unwrap(),
    ];
    for client in clients {
        let seen = client
            .describe(Streaming::iter(chunks()))
            .await
            .expect("described");
        let parts: Vec<_> = seen
            .parts
            .iter()
            .map(|p| (p.name.as_str(), p.chunks, p.size))
            .collect();
        assert_eq!(parts, [("title", 1, 2), ("file", 2, 6)]);
        assert_eq!(seen.parts[1].sha256, hex(&Sha256::digest(b"abcdef")));
    }
}

/// OpenAPI shows a POST or PUT route of a streamed form as the multipart body it
/// takes and the JSON reply it answers; the GET route stays the WebSocket.
#[cfg(feature = "openapi")]
#[test]
fn openapi_shows_the_form_routes_as_multipart() {
    let app = App::builder()
        .handle_signals(false)
        .service(FormsServer::new(FormsImpl::default()))
        .build();
    let doc = kratos::descriptor::openapi::openapi(app.services(), "forms", "1");
    let post = &doc["paths"]["/v1/forms"]["post"];
    let body = &post["requestBody"]["content"]["multipart/form-data"]["schema"];
    assert_eq!(body["additionalProperties"]["format"], "binary", "{post}");
    let reply = &post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert!(reply.as_str().unwrap().ends_with("FormSeen"), "{post}");
    assert!(post["responses"].get("101").is_none(), "{post}");
    let get = &doc["paths"]["/v1/forms"]["get"];
    assert!(get["responses"]["101"].is_object(), "{get}");
}

/// The generated HTTP client sends a POST route's streamed form as multipart as the
/// chunks come: parts split where `part` changes, bytes that look like delimiters
/// kept, the route's limit answered with 413, and a caller's stream that fails
/// never taken by the server as a whole form.
#[tokio::test]
async fn the_generated_http_client_streams_a_form_to_a_post_route() {
    let app = start(FormsImpl::default()).await;
    let client = FormsClient::http(&http_url(&app)).unwrap();
    let tricky: Vec<u8> = b"\r\n--kratos-form-\r\n--\r\n".repeat(1000);
    let mut items = chunks();
    items.extend((0..8).map(|_| FormChunk {
        part: 2,
        name: "big".into(),
        filename: "big.bin".into(),
        content_type: "application/x-test".into(),
        data: tricky.clone(),
    }));
    let seen = client
        .upload(Streaming::iter(items))
        .await
        .expect("uploaded");
    let parts: Vec<_> = seen
        .parts
        .iter()
        .map(|p| (p.name.as_str(), p.filename.as_str(), p.size))
        .collect();
    assert_eq!(
        parts,
        [
            ("title", "", 2),
            ("file", "f.bin", 6),
            ("big", "big.bin", 8 * tricky.len() as u64)
        ]
    );
    assert_eq!(seen.parts[2].content_type, "application/x-test");
    assert_eq!(seen.parts[2].sha256, hex(&Sha256::digest(tricky.repeat(8))));

    // Past the route's 1 MiB: the server's 413 is the call's error.
    let over = (0..40).map(|_| FormChunk {
        part: 0,
        name: "file".into(),
        filename: "over.bin".into(),
        content_type: String::new(),
        data: vec![7; 64 * 1024],
    });
    let error = client
        .upload(Streaming::iter(over))
        .await
        .expect_err("over the limit");
    assert_eq!(
        (error.code, error.reason.as_str()),
        (413, "PAYLOAD_TOO_LARGE"),
        "{error}"
    );

    // The caller's own stream fails halfway: the call fails, and the form the
    // server got was cut, not closed as whole.
    let (tx, failing) = Streaming::channel(2);
    tx.send(chunks().remove(0)).await.unwrap();
    let _ = tx
        .fail(kratos::Error::internal_server("DISK", "gone"))
        .await;
    let result = client.upload(failing).await;
    assert!(result.is_err(), "{result:?}");
}
