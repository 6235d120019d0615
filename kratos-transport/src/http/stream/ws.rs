//! A client-streaming or bidi route: a WebSocket opened with GET on the route's path.
//!
//! Each message is one frame in the negotiated codec (`Content-Type` for the
//! requests, `Accept` for the replies, JSON by default): a text frame for a text
//! codec, a binary frame for protobuf (Go kratos sends text frames even then, which
//! RFC 6455 forbids for bytes that are not UTF-8). The client half-closes with the
//! text frame `"\x1eend"`; the server ends with close code 1000, or on an error
//! sends `"\x1eerror:"` and the error as Go kratos's `Error()` writes it (`error:
//! code = 409 reason = .. message = .. metadata = map[..] cause = <nil>`), then
//! closes with 1011. The middlewares run before the upgrade, so a refusal (401,
//! 429, ...) is an ordinary HTTP answer (Go kratos upgrades first and answers it
//! with the error frame).

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{FromRequestParts, Request};
use axum::response::Response;
use futures_core::Stream;
use http::header::{CONTENT_TYPE, HeaderMap};
use kratos_core::Error;
use kratos_core::encoding::{self, RegisteredCodec};
use kratos_core::error::REASON_CODEC;
use kratos_core::stream::StreamHandler;

use super::{WS_END, WS_ERROR, error_text, open_requests};
use crate::http::reply_codec;
use crate::http::route::Route;
use crate::stream::Replies;

/// Requests decoded but not yet read by the handler, per stream.
const INBOX: usize = 16;

/// One call of client-streaming or bidi method `M` over a WebSocket.
pub(super) async fn handle<M, S>(state: Arc<Route<S>>, request: Request) -> Response
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    let http = &state.http;
    let (mut parts, _) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            let error = Error::bad_request(
                "WEBSOCKET",
                format!(
                    "{} is a WebSocket route: open it with a GET and `Upgrade: websocket` ({rejection})",
                    parts.uri.path()
                ),
            );
            return http
                .encoders
                .error(&parts.headers, &error, HeaderMap::new());
        }
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let decode = match encoding::for_content_type(content_type) {
        Ok(codec) => codec,
        Err(e) => {
            let error = Error::new(415, REASON_CODEC, e.to_string());
            return http
                .encoders
                .error(&parts.headers, &error, HeaderMap::new());
        }
    };
    let encode = reply_codec(&parts.headers);
    let (opened, inbox) = match open_requests::<M, S>(&state, parts, INBOX).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let session = Session {
        inbox: Some(inbox),
        decode,
        encode,
    };
    let mut response = upgrade
        .max_message_size(http.max_body)
        .max_frame_size(http.max_body)
        .on_upgrade(move |socket| session.run(socket, opened.replies));
    response.headers_mut().extend(opened.headers);
    response
}

/// The two directions of one upgraded stream.
struct Session<Q> {
    /// Where decoded requests go; `None` once the client half-closed.
    inbox: Option<kratos_core::StreamSender<Q>>,
    decode: RegisteredCodec,
    encode: RegisteredCodec,
}

/// What the loop does next.
enum Step<Q> {
    /// Hand this request to the handler (waits while its inbox is full).
    Deliver(Q),
    /// Read on.
    Continue,
    /// Stop: the peer left or broke the protocol.
    Stop,
}

impl<Q: kratos_core::Message> Session<Q> {
    /// Reads frames into the handler's requests and writes its replies, until the
    /// replies end (1000), fail (1011) or the peer goes away. Requests wait for
    /// room in the inbox while replies keep flowing, so neither side can stall the
    /// other.
    async fn run<R: kratos_core::Message>(
        mut self,
        mut socket: WebSocket,
        mut replies: Replies<R>,
    ) {
        let mut pending: Option<Q> = None;
        loop {
            // A handle of its own, so the loop may drop `self.inbox` meanwhile.
            let inbox = self.inbox.clone();
            tokio::select! {
                // Deliver the frame read last before reading another: the bounded
                // inbox is the backpressure on the client.
                permit = reserve(inbox.as_ref()), if pending.is_some() => {
                    match (permit, pending.take()) {
                        (Some(permit), Some(request)) => permit.send(request),
                        // The handler stopped reading: drop what it will not read.
                        _ => self.inbox = None,
                    }
                }
                frame = socket.recv(), if pending.is_none() && self.inbox.is_some() => {
                    match self.frame(frame) {
                        Step::Deliver(request) => pending = Some(request),
                        Step::Continue => {}
                        Step::Stop => return,
                    }
                }
                reply = next(&mut replies) => {
                    let done = match reply {
                        Some(Ok(reply)) => {
                            match self.reply_frame(&reply) {
                                Ok(message) => socket.send(message).await.is_err(),
                                Err(error) => {
                                    let _ = close_with_error(&mut socket, &error).await;
                                    true
                                }
                            }
                        }
                        Some(Err(error)) => {
                            let _ = close_with_error(&mut socket, &error).await;
                            true
                        }
                        None => {
                            let close = CloseFrame { code: close_code::NORMAL, reason: "".into() };
                            let _ = socket.send(Message::Close(Some(close))).await;
                            true
                        }
                    };
                    if done {
                        finish(socket).await;
                        return;
                    }
                }
            }
        }
    }

    /// What one incoming frame means.
    fn frame(&mut self, frame: Option<Result<Message, axum::Error>>) -> Step<Q> {
        let bytes = match frame {
            Some(Ok(Message::Text(text))) => {
                if text.as_str() == WS_END {
                    self.inbox = None;
                    return Step::Continue;
                }
                if let Some(message) = text.as_str().strip_prefix(WS_ERROR) {
                    tracing::debug!(
                        message,
                        "the WebSocket client ended its stream with an error"
                    );
                    return Step::Stop;
                }
                bytes::Bytes::from(text)
            }
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Step::Continue,
            // A close, a broken connection or the end: the client is gone.
            Some(Ok(Message::Close(_)) | Err(_)) | None => return Step::Stop,
        };
        let mut request = Q::default();
        match self.decode.decode(&bytes, &mut request) {
            Ok(()) => Step::Deliver(request),
            Err(e) => {
                // The handler reads the error as the end of its requests.
                if let Some(inbox) = self.inbox.take() {
                    let error = Error::codec(format!("request unmarshal: {e}"));
                    tokio::spawn(async move { inbox.fail(error).await });
                }
                Step::Continue
            }
        }
    }

    /// One reply as a frame: text for a text codec, binary for protobuf.
    fn reply_frame<R: kratos_core::Message>(&self, reply: &R) -> Result<Message, Error> {
        let mut body = Vec::with_capacity(128);
        self.encode.encode(reply, &mut body).map_err(|e| {
            Error::internal_server(
                REASON_CODEC,
                format!("reply marshal ({}): {e}", self.encode.name()),
            )
        })?;
        if self.encode.name() == encoding::PROTO {
            return Ok(Message::Binary(body.into()));
        }
        match String::from_utf8(body) {
            Ok(text) => Ok(Message::Text(text.into())),
            Err(e) => Ok(Message::Binary(e.into_bytes().into())),
        }
    }
}

/// How long a closed stream waits for the peer's answering close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ends the close handshake after our close frame: reads (and drops) what the peer
/// still sends until its close frame, within [`CLOSE_WAIT`]. Dropping the socket
/// with frames unread would make the kernel answer them with a reset, and a peer
/// that has not yet read our last frames (the error frame, the close) loses them.
async fn finish(mut socket: WebSocket) {
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Room for one request in the inbox; `None` when the handler stopped reading.
async fn reserve<Q>(
    inbox: Option<&kratos_core::StreamSender<Q>>,
) -> Option<kratos_core::stream::Permit<'_, Q>> {
    inbox?.reserve().await.ok()
}

async fn next<R>(replies: &mut Replies<R>) -> Option<Result<R, Error>> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *replies).poll_next(cx)).await
}

/// Sends `"\x1eerror:"` and the error's text, then closes with 1011.
async fn close_with_error(socket: &mut WebSocket, error: &Error) -> Result<(), axum::Error> {
    socket
        .send(Message::Text(
            format!("{WS_ERROR}{}", error_text(error)).into(),
        ))
        .await?;
    // A close reason is at most 123 bytes.
    let mut reason = error.message.clone();
    while reason.len() > 123 {
        reason.pop();
    }
    let close = CloseFrame {
        code: close_code::ERROR,
        reason: reason.into(),
    };
    socket.send(Message::Close(Some(close))).await
}
