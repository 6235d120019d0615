//! `multipart/form-data` on a `body = "*"` route whose message has
//! `kratos.api.FilePart` fields: text parts fill fields by name with the
//! query-string rules, file parts fill the FilePart field of their name (one per
//! part; a `repeated` field collects them in order). The transport knows FilePart
//! by its descriptor, so a part is merged into the message as the protobuf field it
//! is (filename 1, content_type 2, data 3 inside the field's number).

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap};
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

/// Whether a request to a route with request `message` is a multipart upload it takes.
pub(crate) fn takes(message: &MessageDescriptor, headers: &HeaderMap) -> bool {
    let multipart = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    multipart && !file_fields(message).is_empty()
}

/// Fills `message` from the multipart `body` (already read within the route's limit).
pub(crate) async fn bind<T: Message>(
    message: &mut T,
    parts: &http::request::Parts,
    body: Bytes,
) -> Result<(), Error> {
    let headers = &parts.headers;
    let files = file_fields(T::descriptor());
    let mut request = http::Request::new(axum::body::Body::from(body));
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.clone());
    }
    // axum caps a Multipart at its own 2 MB unless a `DefaultBodyLimit` layer says
    // otherwise; the body was already read within the route's limit.
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
    let mut text: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut merged = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Error::codec(format!("multipart: {}", e.body_text())))?
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
                let data = field.bytes().await.map_err(|e| {
                    Error::codec(format!("multipart part {name:?}: {}", e.body_text()))
                })?;
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
                let value = field.text().await.map_err(|e| {
                    Error::codec(format!("multipart part {name:?}: {}", e.body_text()))
                })?;
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

/// Appends the protobuf field `number` holding a FilePart to `out`.
fn push_file_part(out: &mut Vec<u8>, number: u32, filename: &str, content_type: &str, data: &[u8]) {
    use prost::encoding::{WireType, bytes, encode_key, encode_varint, string};
    let mut part = Vec::with_capacity(data.len() + filename.len() + content_type.len() + 16);
    string::encode(1, &filename.to_owned(), &mut part);
    string::encode(2, &content_type.to_owned(), &mut part);
    bytes::encode(3, &data.to_vec(), &mut part);
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(part.len() as u64, out);
    out.extend_from_slice(&part);
}
