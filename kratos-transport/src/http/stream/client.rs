//! The HTTP client's side of streaming methods: a server stream read as SSE, a
//! client or bidi stream over a WebSocket (tokio-tungstenite), each run by a task
//! that feeds a bounded [`Streaming`] and stops when the caller drops it.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use http::header::{CONTENT_TYPE, HeaderValue};
use http_body_util::BodyExt;
use kratos_core::encoding::RegisteredCodec;
use kratos_core::error::REASON_CODEC;
use kratos_core::stream::{StreamSender, Streaming};
use kratos_core::{Context, Error, Method};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{WS_END, WS_ERROR, error_from_text, error_text, json_codec};
use crate::deadline::client_timeout;
use crate::http::client::{build_request, error_from_body, first_route, keep_reply_headers};
use crate::http::state::MAX_BODY_BYTES;
use crate::http::{HttpClient, http_body};
use crate::unreachable::NodeUnreachable;

/// Replies read but not yet taken by the caller.
const BUFFER: usize = 16;

impl HttpClient {
    /// Opens a streaming call of method `M` on this client's server.
    pub(crate) async fn open_stream<M: Method>(
        &self,
        ctx: &mut Context,
        requests: Streaming<M::Request>,
        timeout: Duration,
    ) -> Result<Streaming<M::Reply>, Error> {
        let base = self.base().to_owned();
        self.open_stream_to::<M>(&base, ctx, requests, timeout)
            .await
    }

    /// Opens a streaming call of method `M` on the server at `base`; `timeout`
    /// bounds the opening.
    pub(crate) async fn open_stream_to<M: Method>(
        &self,
        base: &str,
        ctx: &mut Context,
        requests: Streaming<M::Request>,
        timeout: Duration,
    ) -> Result<Streaming<M::Reply>, Error> {
        let operation = M::DESCRIPTOR.operation;
        let opening = async {
            let form = M::DESCRIPTOR.shape.client_streams()
                && !M::DESCRIPTOR.shape.server_streams()
                && super::form::is_form_chunk(<M::Request as kratos_core::Message>::descriptor())
                && first_route::<M>()?.method != kratos_core::HttpMethod::Get;
            if form {
                self.send_form::<M>(base, ctx, requests)
            } else if M::DESCRIPTOR.shape.client_streams() {
                websocket::<M>(base, ctx, requests).await
            } else {
                self.server_stream::<M>(base, ctx, requests, timeout).await
            }
        };
        tokio::time::timeout(timeout, opening)
            .await
            .map_err(|_| client_timeout(operation, timeout))?
    }

    /// A server stream: the one request as a unary call would send it, the replies
    /// read as SSE.
    async fn server_stream<M: Method>(
        &self,
        base: &str,
        ctx: &mut Context,
        requests: Streaming<M::Request>,
        timeout: Duration,
    ) -> Result<Streaming<M::Reply>, Error> {
        let request = requests.single().await?;
        let accept = HeaderValue::from_static("text/event-stream");
        // The time left for the opening, sent as for a unary call.
        let outgoing = build_request::<M>(base, ctx, &request, timeout, accept)?;
        let response = self.request::<M>(base, outgoing).await?;
        let (parts, body) = response.into_parts();
        keep_reply_headers(ctx, &parts.headers);
        let content_type = parts.headers.get(CONTENT_TYPE);
        let is_sse = content_type
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        // A stream of HttpBody replies is one raw body (a download), read in chunks.
        let raw = http_body::is_http_body(<M::Reply as kratos_core::Message>::descriptor());
        if parts.status.is_success() && raw {
            let (tx, replies) = Streaming::channel(BUFFER);
            tokio::spawn(read_chunks::<M::Reply>(body, content_type.cloned(), tx));
            return Ok(replies);
        }
        if !parts.status.is_success() || !is_sse {
            let body = http_body_util::Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            return Err(error_from_body(parts.status.as_u16(), content_type, &body));
        }
        let (tx, replies) = Streaming::channel(BUFFER);
        tokio::spawn(read_events::<M::Reply>(body, tx));
        Ok(replies)
    }
}

/// Reads the raw `body` into `tx` as HttpBody replies, one per data frame, each
/// with the body's media type.
async fn read_chunks<R: kratos_core::Message>(
    mut body: hyper::body::Incoming,
    content_type: Option<HeaderValue>,
    tx: StreamSender<R>,
) {
    loop {
        let frame = tokio::select! {
            _ = tx.closed() => return,
            frame = body.frame() => frame,
        };
        let item = match frame {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => http_body::from_raw(content_type.as_ref(), data),
                Err(_) => continue,
            },
            Some(Err(e)) => Err(broken(e)),
            None => return,
        };
        let sent = match item {
            Ok(chunk) => tx.send(chunk).await.is_ok(),
            Err(error) => {
                let _ = tx.fail(error).await;
                false
            }
        };
        if !sent {
            return;
        }
    }
}

/// The error of a streamed body that broke before its end.
fn broken(e: hyper::Error) -> Error {
    Error::service_unavailable("", format!("the event stream broke: {e}"))
}

/// Reads SSE events from `body` into `tx`: `message` events are replies, an `error`
/// event the kratos error that ends the stream.
async fn read_events<R: kratos_core::Message>(
    mut body: hyper::body::Incoming,
    tx: StreamSender<R>,
) {
    let json = json_codec();
    let mut buffer = BytesMut::new();
    loop {
        while let Some(end) = event_end(&buffer) {
            let event = buffer.split_to(end.0).freeze();
            buffer.advance(end.1);
            let sent = match parse_event::<R>(&json, &event) {
                Some(Ok(reply)) => tx.send(reply).await.is_ok(),
                Some(Err(error)) => {
                    let _ = tx.fail(error).await;
                    false
                }
                None => true,
            };
            if !sent {
                return;
            }
        }
        if buffer.len() > MAX_BODY_BYTES {
            let _ = tx
                .fail(Error::codec(format!(
                    "an SSE event exceeds {MAX_BODY_BYTES} bytes"
                )))
                .await;
            return;
        }
        let frame = tokio::select! {
            _ = tx.closed() => return,
            frame = body.frame() => frame,
        };
        match frame {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buffer.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                let _ = tx.fail(broken(e)).await;
                return;
            }
            None => return,
        }
    }
}

/// Where the first complete event of `buffer` ends: its length and the length of
/// the blank line after it.
fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// One event: `None` for a comment or an event of another name.
fn parse_event<R: kratos_core::Message>(
    json: &RegisteredCodec,
    event: &[u8],
) -> Option<Result<R, Error>> {
    let mut name: &[u8] = b"message";
    let mut data = Vec::new();
    for line in event.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(value) = line.strip_prefix(b"event:") {
            name = value.strip_prefix(b" ").unwrap_or(value);
        } else if let Some(value) = line.strip_prefix(b"data:") {
            if !data.is_empty() {
                data.push(b'\n');
            }
            data.extend_from_slice(value.strip_prefix(b" ").unwrap_or(value));
        }
    }
    match name {
        b"message" => {
            let mut reply = R::default();
            Some(
                json.decode(&data, &mut reply).map(|()| reply).map_err(|e| {
                    Error::internal_server(REASON_CODEC, format!("reply unmarshal: {e}"))
                }),
            )
        }
        b"error" => {
            let mut error = Error::default();
            let _ = json.decode(&data, &mut error);
            if error.code == 0 {
                error = Error::internal_server("", String::from_utf8_lossy(&data).into_owned());
            }
            Some(Err(error))
        }
        _ => None,
    }
}

/// A client or bidi stream: a WebSocket on the method's route, requests and
/// replies as JSON text frames.
async fn websocket<M: Method>(
    base: &str,
    ctx: &mut Context,
    requests: Streaming<M::Request>,
) -> Result<Streaming<M::Reply>, Error> {
    let operation = M::DESCRIPTOR.operation;
    let route = first_route::<M>()?;
    let url = match base.strip_prefix("http://") {
        Some(rest) => format!("ws://{rest}{}", route.path),
        None => format!("{base}{}", route.path),
    };
    let mut request = url
        .into_client_request()
        .map_err(|e| Error::bad_request("", format!("invalid WebSocket URL: {e}")))?;
    for (name, value) in ctx.request_headers() {
        request.headers_mut().append(name, value.clone());
    }
    let (socket, response) = match tokio_tungstenite::connect_async(request).await {
        Ok(connected) => connected,
        Err(tungstenite::Error::Http(response)) => {
            let (parts, body) = response.into_parts();
            let body = body.unwrap_or_default();
            return Err(error_from_body(
                parts.status.as_u16(),
                parts.headers.get(CONTENT_TYPE),
                &body,
            ));
        }
        Err(tungstenite::Error::Io(e)) => return Err(NodeUnreachable::error(operation, base, e)),
        Err(e) => {
            return Err(Error::service_unavailable(
                "",
                format!("WebSocket {operation}: {e}"),
            ));
        }
    };
    keep_reply_headers(ctx, response.headers());
    let (tx, replies) = Streaming::channel(BUFFER);
    tokio::spawn(ws_session::<M::Request, M::Reply>(socket, requests, tx));
    Ok(replies)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sends the requests (then the half-close) and reads the replies, until the
/// server closes or the caller drops its replies.
async fn ws_session<Q: kratos_core::Message, R: kratos_core::Message>(
    mut socket: Socket,
    mut requests: Streaming<Q>,
    tx: StreamSender<R>,
) {
    use futures_util::{SinkExt, StreamExt};
    let json = json_codec();
    let mut sending = true;
    let mut failure: Option<String> = None;
    loop {
        tokio::select! {
            _ = tx.closed() => {
                let _ = socket.close(None).await;
                return;
            }
            request = requests.message(), if sending => {
                let frame = match request {
                    Ok(Some(request)) => {
                        let mut body = Vec::with_capacity(128);
                        match json.encode(&request, &mut body) {
                            Ok(()) => Message::Text(String::from_utf8_lossy(&body).into_owned().into()),
                            Err(e) => {
                                let _ = tx.fail(Error::bad_request(REASON_CODEC, format!("request marshal: {e}"))).await;
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        sending = false;
                        Message::Text(WS_END.into())
                    }
                    Err(error) => {
                        sending = false;
                        Message::Text(format!("{WS_ERROR}{}", error_text(&error)).into())
                    }
                };
                if socket.send(frame).await.is_err() {
                    let _ = tx.fail(Error::service_unavailable("", "the WebSocket closed while sending")).await;
                    return;
                }
            }
            frame = socket.next() => {
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(message) = text.as_str().strip_prefix(WS_ERROR) {
                            failure = Some(message.to_owned());
                            continue;
                        }
                        if deliver(&json, text.as_bytes(), &tx).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        if deliver(&json, &bytes, &tx).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(close))) => {
                        if let Some(error) = close_error(close.as_ref(), failure.take()) {
                            let _ = tx.fail(error).await;
                        }
                        // Answer the close, so the server need not wait for it.
                        let _ = socket.close(None).await;
                        return;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let _ = tx.fail(Error::service_unavailable("", format!("the WebSocket broke: {e}"))).await;
                        return;
                    }
                    None => {
                        if let Some(text) = failure.take() {
                            let _ = tx.fail(error_from_text(&text)).await;
                        }
                        return;
                    }
                }
            }
        }
    }
}

/// Decodes one reply frame into `tx`; `Err` when the caller is gone or the frame is bad.
async fn deliver<R: kratos_core::Message>(
    json: &RegisteredCodec,
    bytes: &[u8],
    tx: &StreamSender<R>,
) -> Result<(), ()> {
    let mut reply = R::default();
    match json.decode(bytes, &mut reply) {
        Ok(()) => tx.send(reply).await.map_err(drop),
        Err(e) => {
            let error = Error::internal_server(REASON_CODEC, format!("reply unmarshal: {e}"));
            let _ = tx.fail(error).await;
            Err(())
        }
    }
}

/// The error a close frame reports: the error frame sent before it, else none
/// for 1000 and 1001, else the close code and reason.
fn close_error(close: Option<&CloseFrame>, text: Option<String>) -> Option<Error> {
    if let Some(text) = text {
        return Some(error_from_text(&text));
    }
    match close.map(|c| c.code) {
        None | Some(CloseCode::Normal | CloseCode::Away) => None,
        Some(code) => Some(Error::internal_server(
            "",
            format!(
                "the WebSocket closed with {}: {}",
                u16::from(code),
                close.map(|c| c.reason.to_string()).unwrap_or_default()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_end_at_a_blank_line_either_way() {
        assert_eq!(event_end(b"event: x\ndata: 1\n\nrest"), Some((16, 2)));
        assert_eq!(event_end(b"data: 1\r\n\r\n"), Some((7, 4)));
        assert_eq!(event_end(b"data: 1\n"), None);
    }

    #[test]
    fn a_1011_close_reports_the_error_text() {
        let close = CloseFrame {
            code: CloseCode::Error,
            reason: "boom".into(),
        };
        let text = "error: code = 400 reason = FAIL message = asked to fail metadata = map[] cause = <nil>";
        let error = close_error(Some(&close), Some(text.into())).unwrap();
        assert_eq!((error.code, error.reason.as_str()), (400, "FAIL"));
        assert_eq!(error.message, "asked to fail");
        assert!(close_error(None, None).is_none());
        assert_eq!(close_error(Some(&close), None).unwrap().code, 500);
    }
}
