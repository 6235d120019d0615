//! A team's envelope around every answer: `{"code": 0, "message": "OK", "data": {...}}`
//! for a reply, `{"code": 404, "message": "...", "data": null}` for an error, in
//! whatever codec the request's `Accept` asks for (JSON, YAML, XML, ...).
//!
//! The envelope has no protobuf form, so a client asking for `application/proto`
//! gets the bare message or `errors.Status`, as protobuf clients expect.

use kratos::encoding::{Encode, PROTO, erased_serde};
use kratos::http::{
    HeaderMap, RawResponse, StatusCode, encode_error, encode_reply, reply_codec, response,
};
use kratos::prelude::*;

/// The request of `SayHello`.
#[kratos::message]
pub struct HelloRequest {
    /// Who to greet.
    pub name: String,
}

/// The reply of `SayHello`.
#[kratos::message]
pub struct HelloReply {
    /// The greeting.
    pub message: String,
}

/// The greeting service.
#[kratos::service(package = "envelope.v1")]
pub trait Greeter {
    /// Greets `name`; `nobody` is not found.
    #[route(get = "/hello/{name}")]
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

/// The implementation, registered for `#[kratos::main]`.
#[derive(Default)]
pub struct GreeterImpl;

#[kratos::service]
impl Greeter for GreeterImpl {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        if req.name == "nobody" {
            return Err(Error::not_found("USER_NOT_FOUND", "nobody is not here"));
        }
        Ok(HelloReply {
            message: format!("Hello {}", req.name),
        })
    }
}

/// The body of every answer; `code` 0 means success.
#[derive(serde::Serialize)]
pub struct Envelope<'a> {
    /// 0 on success, else the error's code.
    pub code: i32,
    /// `OK`, or the error's message.
    pub message: &'a str,
    /// The reply; `null` for an error.
    pub data: Option<&'a dyn erased_serde::Serialize>,
}

/// Any serde type can be encoded by the serde codecs once it says how to erase itself.
impl Encode for Envelope<'_> {
    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }
}

/// The reply encoder: the reply under `data`.
pub fn wrap_reply(
    request: &HeaderMap,
    status: StatusCode,
    reply: &dyn Encode,
) -> kratos::Result<RawResponse> {
    let codec = reply_codec(request);
    if codec.name() == PROTO {
        return encode_reply(request, status, reply);
    }
    let envelope = Envelope {
        code: 0,
        message: "OK",
        data: Some(reply.as_serialize()),
    };
    let mut body = Vec::new();
    codec
        .encode(&envelope, &mut body)
        .map_err(|e| Error::internal_server("CODEC", format!("envelope: {e}")))?;
    Ok(response(status, codec.content_type().clone(), body))
}

/// The error encoder: the error's code and message, no data; the HTTP status stays
/// the error's, so proxies and retries still see a failure.
pub fn wrap_error(request: &HeaderMap, error: &Error) -> RawResponse {
    let codec = reply_codec(request);
    let envelope = Envelope {
        code: error.code,
        message: &error.message,
        data: None,
    };
    let mut body = Vec::new();
    if codec.name() == PROTO || codec.encode(&envelope, &mut body).is_err() {
        return encode_error(request, error);
    }
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response(status, codec.content_type().clone(), body)
}

/// Puts both encoders on an HTTP server.
pub fn install(http: HttpServer) -> HttpServer {
    http.reply_encoder(wrap_reply).error_encoder(wrap_error)
}
