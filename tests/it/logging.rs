//! What `logging::server()` writes for real HTTP calls: never a credential (the
//! built-in `authorization`, `proxy-authorization`, `cookie`, `set-cookie`, and a
//! header added to the list), and the status that was sent as the code.

use std::io::Write;
use std::sync::{Arc, Mutex};

use kratos::middleware::logging;
use kratos::prelude::*;
use tracing_subscriber::util::SubscriberInitExt;

use crate::curl::send;

#[kratos::message]
pub struct Note {
    pub text: String,
}

#[kratos::service(package = "log.v1")]
pub trait Notes {
    #[route(post = "/v1/notes", body = "*", status = 201)]
    async fn create(&self, req: Note) -> kratos::Result<Note>;
}

struct NotesImpl;

impl Notes for NotesImpl {
    async fn create(&self, req: Note) -> kratos::Result<Note> {
        Ok(req)
    }
}

/// Every line this test's thread logs, kept for the assertions.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines_with(&self, needle: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

/// POSTs `body` as JSON with `headers`: the status sent back.
async fn post(url: &str, body: &str, headers: &[(&str, &str)]) -> u16 {
    let headers = [&[("content-type", "application/json")][..], headers].concat();
    send("POST", url, &headers, body).await.status
}

#[tokio::test]
async fn credentials_never_reach_the_log_and_the_code_is_the_status_sent() {
    let captured = Captured::default();
    let writer = captured.clone();
    // This thread's subscriber, not the process's: the servers run on this test's
    // (current-thread) runtime, so their events come here and no other test's do.
    let _log = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .set_default();
    kratos::redact::add_sensitive_header("x-api-key");

    let http = HttpServer::new()
        .address("127.0.0.1:0")
        .middleware(logging::server())
        .route(
            kratos::descriptor::HttpMethod::Post,
            "/webhook",
            "/hooks/Receive",
            |body: String| async move {
                if body == "bad" {
                    (http::StatusCode::BAD_REQUEST, "rejected")
                } else {
                    (http::StatusCode::ACCEPTED, "queued")
                }
            },
        );
    let app = App::builder()
        .handle_signals(false)
        .server(http)
        .service(NotesServer::new(NotesImpl))
        .build()
        .start()
        .await
        .unwrap();
    let base = app.endpoint("http").unwrap().to_owned();
    let secrets = [
        ("authorization", "Bearer token-AAA"),
        ("proxy-authorization", "Basic token-BBB"),
        ("cookie", "session=token-CCC"),
        ("x-api-key", "token-DDD"),
        ("x-request-id", "visible-id"),
    ];

    assert_eq!(post(&format!("{base}/webhook"), "bad", &secrets).await, 400);
    assert_eq!(post(&format!("{base}/webhook"), "ok", &secrets).await, 202);
    let created = post(&format!("{base}/v1/notes"), r#"{"text":"hi"}"#, &secrets).await;
    assert_eq!(created, 201);

    let hooks = captured.lines_with("/hooks/Receive");
    assert_eq!(hooks.len(), 2, "one event per call: {hooks:#?}");
    assert!(hooks[0].contains("code=400"), "{}", hooks[0]);
    assert!(hooks[1].contains("code=202"), "{}", hooks[1]);
    assert!(
        hooks[0].contains("visible-id") && hooks[0].contains("<redacted>"),
        "the request is still described, its credentials hidden: {}",
        hooks[0]
    );
    let notes = captured.lines_with("/log.v1.Notes/Create");
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0].contains("code=201"), "{}", notes[0]);

    let everything = captured.lines_with("");
    for line in &everything {
        assert!(
            !line.contains("token-"),
            "a credential reached the log: {line}"
        );
    }
}
