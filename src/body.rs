//! `google.api.HttpBody`, `kratos.api.FilePart` and `kratos.api.FormChunk`: the
//! messages a handler takes or answers when a body is not JSON. They are ordinary messages, so a gRPC client
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

/// One chunk of a `multipart/form-data` part, for a client-streaming method that
/// takes `kratos::Streaming<FormChunk>`: over HTTP the form is read as it arrives
/// and each chunk is handed on as it comes (memory bounded whatever the body's size);
/// over gRPC a client sends the same items as a client stream. The chunks come in
/// order, a part's chunks one after the other; every chunk of a part repeats its
/// `part`, `name`, `filename` and `content_type`, and a part with no bytes still
/// yields one chunk with empty `data`.
#[kratos::message(package = "kratos.api")]
pub struct FormChunk {
    /// The part's index in the form, from 0.
    #[tag(1)]
    pub part: u32,
    /// The part's name (its `Content-Disposition` `name`).
    #[tag(2)]
    pub name: String,
    /// The file name the client sent; empty for a text part.
    #[tag(3)]
    pub filename: String,
    /// The part's media type; empty when the part names none.
    #[tag(4)]
    pub content_type: String,
    /// This chunk's bytes of the part.
    #[tag(5)]
    pub data: Vec<u8>,
}
