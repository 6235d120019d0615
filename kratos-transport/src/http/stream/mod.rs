//! Streaming methods over HTTP, as Go kratos v3 serves them: a server stream is
//! Server-Sent Events (or NDJSON when `Accept: application/x-ndjson` asks for it,
//! as grpc-gateway writes it); a client or bidi stream is a WebSocket on the route.
//!
//! The request of a server-streaming route is bound like a unary one (body, query,
//! path); an error before the stream opens is the usual kratos error response with
//! its status. After it opens, the status is 200 and an error travels in-band.
//! A client stream of `kratos.api.FormChunk` also takes a plain streamed
//! `multipart/form-data` body (see `form`).

mod client;
mod form;
mod form_client;
mod sse;
mod ws;

use std::sync::Arc;

use axum::response::Response;
use http::header::HeaderMap;
use kratos_core::descriptor::MethodShape;
use kratos_core::encoding::{self, JSON, RegisteredCodec};
use kratos_core::stream::{StreamHandler, StreamSender, Streaming};
use kratos_core::{Chain, Context, Error};

use super::RouteTable;
use super::call::call_context;
use super::route::Route;
use crate::state::ServiceChain;
use crate::stream::{Input, Opened, open};

/// Adds the routes of streaming method `M`: the [`MethodEntry`](crate::table::MethodEntry)'s
/// HTTP side.
pub(crate) fn add<M, S>(table: &mut RouteTable, service: Arc<S>, chain: Chain) -> Result<(), Error>
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    let shape = M::DESCRIPTOR.shape;
    if shape == MethodShape::ClientStreaming && form::is_form_chunk((M::DESCRIPTOR.request)()) {
        table.add_routes(M::DESCRIPTOR, service, chain, form::handle::<M, S>)
    } else if shape.client_streams() {
        table.add_routes(M::DESCRIPTOR, service, chain, ws::handle::<M, S>)
    } else {
        table.add_routes(M::DESCRIPTOR, service, chain, sse::handle::<M, S>)
    }
}

/// The context and the chains of one stream on a route of `state`'s server.
fn begin<S>(
    state: &Route<S>,
    operation: &'static str,
    parts: http::request::Parts,
) -> (Context, ServiceChain) {
    let server = &state.http.server;
    let ctx = call_context(operation, state.route.path, &state.http, parts);
    let chain = ServiceChain {
        chain: state.chain.clone(),
        server: Arc::new(server.clone()),
    };
    (ctx, chain)
}

/// Opens a stream of requests of `M` on `state`'s route (a WebSocket's frames, a
/// form's chunks): the handler's replies, and the sender of its requests (`inbox`
/// items buffered). Refused by the chain, the error's answer.
async fn open_requests<M, S>(
    state: &Route<S>,
    parts: http::request::Parts,
    inbox: usize,
) -> Result<(Opened<M::Reply>, StreamSender<M::Request>), Response>
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    let http = &state.http;
    let request_headers = parts.headers.clone();
    let (ctx, chain) = begin(state, M::DESCRIPTOR.operation, parts);
    let (sender, requests) = Streaming::channel(inbox);
    let opened = open::<M, S>(
        state.service.clone(),
        chain,
        ctx,
        Input::Many(requests),
        // Unused: a stream of requests opens when the middlewares let it through.
        http.server.timeout,
    )
    .await
    .map_err(|error| {
        http.encoders
            .error(&request_headers, &error, HeaderMap::new())
    })?;
    Ok((opened, sender))
}

/// The codec of SSE data and of our WebSocket client's frames: the registered JSON
/// codec, so a replaced one writes and reads streams too.
fn json_codec() -> RegisteredCodec {
    encoding::get(JSON).unwrap_or_else(|| encoding::for_accept(None))
}

/// The marker a WebSocket client sends as its half-close: no more requests.
pub(crate) const WS_END: &str = "\u{1e}end";
/// The prefix of the text frame a WebSocket peer sends before closing with 1011.
pub(crate) const WS_ERROR: &str = "\u{1e}error:";

/// An error as the text of a WebSocket error frame: Go kratos's `Error()` text,
/// which carries code, reason, message and metadata (the cause, a local detail,
/// is never sent).
pub(crate) fn error_text(error: &Error) -> String {
    let mut metadata: Vec<_> = error.metadata.iter().collect();
    metadata.sort();
    let metadata: Vec<String> = metadata.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!(
        "error: code = {} reason = {} message = {} metadata = map[{}] cause = <nil>",
        error.code,
        error.reason,
        error.message,
        metadata.join(" ")
    )
}

/// The error an error frame's text stands for: a Go kratos error text gives back
/// its code, reason and message; any other text is a 500 with that message.
pub(crate) fn error_from_text(text: &str) -> Error {
    let parsed = (|| {
        let rest = text.strip_prefix("error: code = ")?;
        let (code, rest) = rest.split_once(" reason = ")?;
        let (reason, rest) = rest.split_once(" message = ")?;
        let message = match rest.rfind(" metadata = ") {
            Some(end) => &rest[..end],
            None => rest,
        };
        Some(Error::new(code.parse().ok()?, reason, message))
    })();
    parsed.unwrap_or_else(|| Error::internal_server("", text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_round_trips_code_reason_and_message() {
        let error = Error::conflict("AT", "failed at 3").with_metadata("k", "v");
        let text = error_text(&error);
        assert_eq!(
            text,
            "error: code = 409 reason = AT message = failed at 3 metadata = map[k:v] cause = <nil>"
        );
        let back = error_from_text(&text);
        assert_eq!(
            (back.code, back.reason.as_str(), back.message.as_str()),
            (409, "AT", "failed at 3")
        );
        let other = error_from_text("EOF");
        assert_eq!((other.code, other.message.as_str()), (500, "EOF"));
    }
}
