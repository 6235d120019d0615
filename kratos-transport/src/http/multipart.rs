//! `multipart/form-data` on a `body = "*"` route whose message has
//! `kratos.api.FilePart` fields: text parts fill fields by name with the
//! query-string rules, file parts fill the FilePart field of their name (one per
//! part; a `repeated` field collects them in order). The transport knows FilePart
//! by its descriptor, so a part is merged into the message as the protobuf field it
//! is (filename 1, content_type 2, data 3 inside the field's number).

use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::descriptor::{FieldKind, FieldType, MessageDescriptor};
use kratos_core::encoding::set_fields;
use kratos_core::{Error, Message};
use tower::{Layer, ServiceExt};

/// Whether `descriptor` is `kratos.api.FilePart`.
fn is_file_part(descriptor: &MessageDescriptor) -> bool {
    descriptor.name == "FilePart" && descriptor.package == Some("kratos.api")
}

/// The field number of each top-level FilePart field of `message`, and whether it repeats.
fn file_fields(message: &MessageDescriptor) -> Vec<(&'static str, u32, bool)> {
    message
        .fields
        .iter()
        .filter_map(|f| match f.kind {
            FieldKind::Singular(FieldType::Message(m)) if is_file_part(m()) => {
                Some((f.name, f.number, false))
            }
            FieldKind::Repeated(FieldType::Message(m)) if is_file_part(m()) => {
                Some((f.name, f.number, true))
            }
            _ => None,
        })
        .collect()
}

/// Whether `message` has a top-level FilePart field, so its `body = "*"` routes take
/// `multipart/form-data` only.
pub(crate) fn has_file_fields(message: &MessageDescriptor) -> bool {
    message.fields.iter().any(|f| match f.kind {
        FieldKind::Singular(FieldType::Message(m)) | FieldKind::Repeated(FieldType::Message(m)) => {
            is_file_part(m())
        }
        _ => false,
    })
}

/// Whether `headers` announce a `multipart/form-data` body.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..19)
                .is_some_and(|t| t.eq_ignore_ascii_case("multipart/form-data"))
        })
}

/// Refuses a body other than `multipart/form-data` to a route whose request
/// `message` has file fields: 400 `CODEC` naming the file parts it expects.
pub(crate) fn require(message: &MessageDescriptor, headers: &HeaderMap) -> Result<(), Error> {
    if is_form(headers) {
        return Ok(());
    }
    let parts = file_fields(message)
        .iter()
        .map(|(name, _, _)| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sent = headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"))
        .unwrap_or("no Content-Type");
    Err(Error::codec(format!(
        "{} takes multipart/form-data (file parts {parts}), not {sent}",
        message.name
    )))
}

/// Fills `message` from the multipart `body`, parsed as it arrives (the body is
/// under the route's limit already); `read_failure` says what a failed read of
/// the body means (413, 408) before it is taken for a broken form (400).
pub(crate) async fn bind<T: Message>(
    message: &mut T,
    headers: &http::HeaderMap,
    body: axum::body::Body,
    read_failure: impl Fn(&(dyn std::error::Error + 'static)) -> Option<Error>,
) -> Result<(), Error> {
    let files = file_fields(T::descriptor());
    let mut request = http::Request::new(body);
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.clone());
    }
    // axum caps a Multipart at its own 2 MB unless a `DefaultBodyLimit` layer says
    // otherwise; the body is under the route's limit.
    let extract = DefaultBodyLimit::disable().layer(tower::service_fn(
        |request: http::Request<axum::body::Body>| async move {
            Ok::<_, std::convert::Infallible>(Multipart::from_request(request, &()).await)
        },
    ));
    let mut form = extract
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {})
        .map_err(|e| Error::codec(format!("multipart: {}", e.body_text())))?;
    let failed = |what: String, e: MultipartError| {
        read_failure(&e).unwrap_or_else(|| Error::codec(format!("{what}: {}", e.body_text())))
    };
    let mut text: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut merged = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| failed("multipart".to_owned(), e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file = files.iter().find(|(f, _, _)| *f == name);
        match (file, field.file_name().map(str::to_owned)) {
            (Some(&(field_name, number, repeated)), Some(filename)) => {
                if !repeated && seen.contains(&field_name) {
                    return Err(Error::codec(format!(
                        "multipart part {name:?}: one file expected, got more"
                    )));
                }
                seen.push(field_name);
                let content_type = field.content_type().unwrap_or_default().to_owned();
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| failed(format!("multipart part {name:?}"), e))?;
                push_file_part(&mut merged, number, &filename, &content_type, &data);
            }
            (Some(_), None) => {
                return Err(Error::codec(format!(
                    "multipart part {name:?}: a file is expected (a part with a filename)"
                )));
            }
            (None, Some(_)) => {
                return Err(Error::codec(format!(
                    "multipart part {name:?}: not a file field of {}",
                    T::descriptor().name
                )));
            }
            (None, None) => {
                let value = field
                    .text()
                    .await
                    .map_err(|e| failed(format!("multipart part {name:?}"), e))?;
                text.push((name, value));
            }
        }
    }
    if let Some((missing, _, _)) = files.iter().find(|(f, _, r)| !r && !seen.contains(f)) {
        return Err(Error::codec(format!(
            "multipart part {missing:?} is missing: a file is required"
        )));
    }
    let text = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(text)
        .finish();
    set_fields(message, text.as_bytes())
        .map_err(|e| Error::codec(format!("multipart part: {e}")))?;
    message
        .merge(merged.as_slice())
        .map_err(|e| Error::codec(format!("multipart: {e}")))?;
    Ok(())
}

/// Appends the protobuf field `number` holding a FilePart to `out`, the file's
/// bytes copied once (an upload is as big as the route allows).
fn push_file_part(out: &mut Vec<u8>, number: u32, filename: &str, content_type: &str, data: &[u8]) {
    use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};
    let field_len = |tag: u32, len: usize| {
        if len == 0 {
            0
        } else {
            key_len(tag) + encoded_len_varint(len as u64) + len
        }
    };
    let part_len =
        field_len(1, filename.len()) + field_len(2, content_type.len()) + field_len(3, data.len());
    out.reserve(part_len + 16);
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(part_len as u64, out);
    for (tag, value) in [
        (1, filename.as_bytes()),
        (2, content_type.as_bytes()),
        (3, data),
    ] {
        if !value.is_empty() {
            encode_key(tag, WireType::LengthDelimited, out);
            encode_varint(value.len() as u64, out);
            out.extend_from_slice(value);
        }
    }
}

/// One file part a client sends: the FilePart field's name and its contents.
pub(crate) struct OutgoingFile {
    field: &'static str,
    part: FilePartWire,
}

/// The protobuf shape of `kratos.api.FilePart`, to read one without its type.
#[derive(Clone, PartialEq, prost::Message)]
struct FilePartWire {
    #[prost(string, tag = "1")]
    filename: String,
    #[prost(string, tag = "2")]
    content_type: String,
    #[prost(bytes = "bytes", tag = "3")]
    data: Bytes,
}

/// Splits `message` into its FilePart fields (in field order, repeats in order) and
/// a copy holding every other field, which the client sends as text parts.
pub(crate) fn split_files<T: Message>(message: &T) -> Result<(T, Vec<OutgoingFile>), Error> {
    use prost::encoding::decode_varint;
    let files = file_fields(T::descriptor());
    let wire = Bytes::from(message.encode_to_vec());
    let malformed = |e: &dyn std::fmt::Display| Error::codec(format!("request marshal: {e}"));
    let (mut rest, mut out) = (Vec::with_capacity(64), Vec::new());
    let mut buf = &wire[..];
    while !buf.is_empty() {
        let start = wire.len() - buf.len();
        let key = decode_varint(&mut buf).map_err(|e| malformed(&e))?;
        let payload = match key & 7 {
            0 => decode_varint(&mut buf)
                .map(|_| None)
                .map_err(|e| malformed(&e))?,
            1 | 5 => {
                let width = if key & 7 == 1 { 8 } else { 4 };
                buf = buf.get(width..).ok_or_else(|| malformed(&"truncated"))?;
                None
            }
            2 => {
                let len = decode_varint(&mut buf).map_err(|e| malformed(&e))? as usize;
                let at = wire.len() - buf.len();
                buf = buf.get(len..).ok_or_else(|| malformed(&"truncated"))?;
                Some(wire.slice(at..at + len))
            }
            other => return Err(malformed(&format!("wire type {other}"))),
        };
        let end = wire.len() - buf.len();
        let file = files
            .iter()
            .find(|(_, number, _)| u64::from(*number) == key >> 3);
        match (file, payload) {
            (Some(&(field, _, _)), Some(payload)) => {
                let part =
                    <FilePartWire as prost::Message>::decode(payload).map_err(|e| malformed(&e))?;
                out.push(OutgoingFile { field, part });
            }
            _ => rest.extend_from_slice(&wire[start..end]),
        }
    }
    let rest = T::decode(rest.as_slice()).map_err(|e| malformed(&e))?;
    Ok((rest, out))
}

/// The `multipart/form-data` body of `text` (a query string: one part per pair)
/// and `files`, with its `Content-Type` naming the boundary.
pub(crate) fn encode(text: &str, files: Vec<OutgoingFile>) -> (HeaderValue, Bytes) {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect();
    let boundary = boundary(|candidate| {
        let needle = candidate.as_bytes();
        let inside = |data: &[u8]| data.windows(needle.len()).any(|w| w == needle);
        pairs.iter().any(|(_, v)| inside(v.as_bytes()))
            || files.iter().any(|f| inside(&f.part.data))
    });
    let size: usize = files.iter().map(|f| f.part.data.len() + 256).sum::<usize>()
        + pairs
            .iter()
            .map(|(k, v)| k.len() + v.len() + 128)
            .sum::<usize>();
    let mut body = Vec::with_capacity(size + 64);
    for (name, value) in &pairs {
        body.extend_from_slice(part_head(&boundary, name, None).as_bytes());
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for file in &files {
        let file_name = (file.part.filename.as_str(), file.part.content_type.as_str());
        body.extend_from_slice(part_head(&boundary, file.field, Some(file_name)).as_bytes());
        body.extend_from_slice(&file.part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .unwrap_or_else(|_| HeaderValue::from_static("multipart/form-data"));
    (content_type, Bytes::from(body))
}

/// The delimiter and headers that open the part `name` of a form: a text part, or
/// a file part with its filename and media type (`application/octet-stream` when
/// it names none).
pub(crate) fn part_head(boundary: &str, name: &str, file: Option<(&str, &str)>) -> String {
    match file {
        None => format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
            quoted(name)
        ),
        Some((filename, content_type)) => {
            let content_type = if content_type.is_empty() {
                "application/octet-stream"
            } else {
                content_type
            };
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                quoted(name),
                quoted(filename),
                quoted(content_type),
            )
        }
    }
}

/// A boundary that `taken` says occurs nowhere in the parts.
fn boundary(taken: impl Fn(&str) -> bool) -> String {
    loop {
        let candidate = random_boundary();
        if !taken(&candidate) {
            return candidate;
        }
    }
}

/// A boundary of 128 random bits, for a form whose parts are not known when it
/// starts (a streamed one): no data will hold it but by a 2^-128 chance.
pub(crate) fn random_boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // `RandomState` keys come from the OS's randomness, fresh per state.
    let random = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
        hasher.finish()
    };
    format!("kratos-form-{:016x}{:016x}", random(), random())
}

/// `text` as it may stand inside a quoted header parameter: quotes and line
/// breaks percent-encoded, as browsers write form field names.
fn quoted(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['"', '\r', '\n']) {
        text.replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
            .into()
    } else {
        text.into()
    }
}
