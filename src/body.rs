//! `google.api.HttpBody` and `kratos.api.FilePart`: the messages a handler takes or
//! answers when a body is not JSON. They are ordinary messages, so a gRPC client
//! sends and receives the same thing an HTTP client does; the HTTP server
//! recognises them by their descriptor and reads or writes them raw.

/// An arbitrary body with its media type: `google.api.HttpBody` with google's field
/// numbers. As a request it carries the raw HTTP body and its `Content-Type`; as a
/// reply it is written as is (`application/octet-stream` when `content_type` is empty).
/// google's field 3 (`repeated google.protobuf.Any extensions`) is not declared:
/// protobuf readers skip it.
#[kratos::message(package = "google.api")]
pub struct HttpBody {
    /// The media type of `data`, e.g. `image/png`.
    #[tag(1)]
    pub content_type: String,
    /// The body bytes.
    #[tag(2)]
    pub data: Vec<u8>,
}

/// One uploaded file: a `multipart/form-data` file part over HTTP, a message over gRPC.
#[kratos::message(package = "kratos.api")]
pub struct FilePart {
    /// The file name the client sent (the part's `filename`).
    #[tag(1)]
    pub filename: String,
    /// The part's media type, e.g. `text/plain`.
    #[tag(2)]
    pub content_type: String,
    /// The file's bytes.
    #[tag(3)]
    pub data: Vec<u8>,
}
