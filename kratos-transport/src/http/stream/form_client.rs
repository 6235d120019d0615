//! The HTTP client's side of a streamed form: a client-streaming method whose
//! requests are `kratos.api.FormChunk`, on a POST or PUT route, is sent as one
//! `multipart/form-data` body written as the caller produces the chunks (a new part
//! where the chunk's `part` changes), so an upload is never held whole. The reply is
//! the server's unary answer, delivered when it comes.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use http_body_util::StreamBody;
use hyper::body::Frame;
use kratos_core::stream::Streaming;
use kratos_core::{Context, Error, Message, Method};

use super::form::Wire;
use crate::http::HttpClient;
use crate::http::client::{JSON, StreamedBody, first_route, read_reply, reply_of};
use crate::http::multipart::{part_head, random_boundary};
use crate::unreachable::{NodeUnreachable, never_sent};

impl HttpClient {
    /// Sends `requests` (FormChunk items) as a streamed form on `M`'s first route to
    /// the server at `base`; the reply stream yields the answer once the server gives it.
    pub(super) fn send_form<M: Method>(
        &self,
        base: &str,
        ctx: &Context,
        requests: Streaming<M::Request>,
    ) -> Result<Streaming<M::Reply>, Error> {
        let route = first_route::<M>()?;
        let boundary = random_boundary();
        let content_type =
            HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
                .map_err(|e| Error::bad_request("", format!("cannot build request: {e}")))?;
        let body = StreamBody::new(form_frames::<M::Request>(requests, boundary));
        let mut builder = http::Request::builder()
            .method(route.method.as_str())
            .uri(format!("{base}{}", route.path))
            .header(ACCEPT, JSON)
            .header(CONTENT_TYPE, content_type);
        if let Some(headers) = builder.headers_mut() {
            for (name, value) in ctx.request_headers() {
                headers.append(name, value.clone());
            }
        }
        let request = builder
            .body(StreamedBody::new(body))
            .map_err(|e| Error::bad_request("", format!("cannot build request: {e}")))?;
        let client = self.streaming.clone();
        let (operation, base) = (M::DESCRIPTOR.operation, base.to_owned());
        let (tx, replies) = Streaming::channel(1);
        // The upload lasts as long as the caller's chunks: it runs beside the caller,
        // not within the opening's timeout.
        tokio::spawn(async move {
            let answer = async {
                let response = client.request(request).await.map_err(|e| {
                    if never_sent(&e) {
                        NodeUnreachable::error(operation, &base, e)
                    } else {
                        Error::service_unavailable("", format!("HTTP call {operation} failed: {e}"))
                    }
                })?;
                let (status, content_type, body) = read_reply(response, operation).await?;
                reply_of::<M::Reply>(status, content_type.as_ref(), body)
            };
            match answer.await {
                Ok(reply) => {
                    let _ = tx.send(reply).await;
                }
                Err(error) => {
                    let _ = tx.fail(error).await;
                }
            }
        });
        Ok(replies)
    }
}

/// The body frames of the form of `requests`: each chunk's bytes, a part's
/// delimiter and headers before its first chunk, the closing delimiter at the end.
/// A failed request stream fails the body, so the server never takes the form as whole.
fn form_frames<R: Message>(
    requests: Streaming<R>,
    boundary: String,
) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(Some((requests, None::<u32>)), move |state| {
        let boundary = boundary.clone();
        async move {
            let (mut requests, current) = state?;
            let chunk = match requests.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(error)) => {
                    return Some((Err(std::io::Error::other(error.to_string())), None));
                }
                None => {
                    let open = if current.is_some() { "\r\n" } else { "" };
                    let end = format!("{open}--{boundary}--\r\n");
                    return Some((Ok(Frame::data(Bytes::from(end))), None));
                }
            };
            let wire = match <Wire as prost::Message>::decode(chunk.encode_to_vec().as_slice()) {
                Ok(wire) => wire,
                Err(e) => return Some((Err(std::io::Error::other(e)), None)),
            };
            let mut out = BytesMut::with_capacity(wire.data.len() + 128);
            if current != Some(wire.part) {
                if current.is_some() {
                    out.extend_from_slice(b"\r\n");
                }
                let file = (!wire.filename.is_empty())
                    .then_some((wire.filename.as_str(), wire.content_type.as_str()));
                out.extend_from_slice(part_head(&boundary, &wire.name, file).as_bytes());
            }
            out.extend_from_slice(&wire.data);
            Some((
                Ok(Frame::data(out.freeze())),
                Some((requests, Some(wire.part))),
            ))
        }
    })
}
