//! Choosing a codec from a `Content-Type` or an `Accept` header.
//!
//! Media types are matched by subtype, as Go kratos's `httputil.ContentSubtype`:
//! `application/json; charset=utf-8` and `text/json` both mean `json`. A structured
//! suffix (`application/problem+json`) falls back to the codec of its suffix when the
//! full subtype is not registered, and the common aliases `x-protobuf` and `x-yaml`
//! name `proto` and `yaml`.

use std::borrow::Cow;

use super::registry::{RegisteredCodec, get, names};
use super::{CodecError, PROTO, YAML};

/// The codec subtype a media type names: lowercase, parameters dropped, aliases resolved.
///
/// `application/json; charset=utf-8` -> `json`, `application/x-protobuf` -> `proto`,
/// `*/*` -> `*`. A value without `/` is taken as a subtype already.
pub fn subtype(media_type: &str) -> Cow<'_, str> {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    let sub = essence
        .rsplit_once('/')
        .map_or(essence, |(_, sub)| sub)
        .trim();
    let sub = if sub.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(sub.to_ascii_lowercase())
    } else {
        Cow::Borrowed(sub)
    };
    match &*sub {
        "x-protobuf" | "protobuf" | "x-proto" => Cow::Borrowed(PROTO),
        "x-yaml" => Cow::Borrowed(YAML),
        _ => sub,
    }
}

/// The registered codec for one media type, trying a structured suffix (`+json`) last.
fn lookup(media_type: &str) -> Option<RegisteredCodec> {
    let sub = subtype(media_type);
    get(&sub).or_else(|| {
        let (_, suffix) = sub.rsplit_once('+')?;
        get(suffix)
    })
}

fn json() -> RegisteredCodec {
    super::registry::json()
}

/// The codec that reads a body sent with this `Content-Type`.
///
/// No header, an empty one, or `*/*` mean JSON (what curl and most clients send
/// without saying). A media type no codec answers to is an
/// [unsupported](CodecError::is_unsupported) error that lists the choices.
pub fn for_content_type(content_type: Option<&str>) -> Result<RegisteredCodec, CodecError> {
    let media = content_type.map(str::trim).unwrap_or("");
    if media.is_empty() || matches!(&*subtype(media), "*" | "json") {
        return Ok(json());
    }
    lookup(media).ok_or_else(|| {
        let known = names()
            .iter()
            .map(|n| format!("application/{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        CodecError::unsupported(format!(
            "unsupported Content-Type {media:?}: send one of {known}"
        ))
    })
}

/// True when an `Accept` entry's parameters say `q=0`: the client refuses that type.
fn refused(params: &str) -> bool {
    params.split(';').any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
    })
}

/// The codec that writes the reply to a request with this `Accept` header.
///
/// The first media range, in the header's order, that names a registered codec wins;
/// a range with `q=0` is skipped, and a wildcard (`*/*`, `application/*`) means JSON.
/// Quality values are otherwise not ranked: clients list their preference first.
/// No header, or nothing registered in it, gives JSON, as Go kratos does.
pub fn for_accept(accept: Option<&str>) -> RegisteredCodec {
    let Some(accept) = accept else {
        return json();
    };
    for range in accept.split(',') {
        let (media, params) = range.split_once(';').unwrap_or((range, ""));
        if media.trim().is_empty() || refused(params) {
            continue;
        }
        if matches!(&*subtype(media), "*" | "json") {
            return json();
        }
        if let Some(codec) = lookup(media) {
            return codec;
        }
    }
    json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtypes_drop_parameters_and_resolve_aliases() {
        assert_eq!(subtype("application/json; charset=utf-8"), "json");
        assert_eq!(subtype("Application/JSON"), "json");
        assert_eq!(subtype("application/x-protobuf"), "proto");
        assert_eq!(subtype("application/proto"), "proto");
        assert_eq!(
            subtype("application/x-www-form-urlencoded"),
            "x-www-form-urlencoded"
        );
        assert_eq!(subtype("text/yaml"), "yaml");
        assert_eq!(subtype("*/*"), "*");
        assert_eq!(subtype("xml"), "xml");
    }

    #[test]
    fn content_type_picks_the_body_codec() {
        let name = |ct| for_content_type(ct).map(|c| c.name().to_owned());
        assert_eq!(name(None).unwrap(), "json");
        assert_eq!(name(Some("")).unwrap(), "json");
        assert_eq!(name(Some("text/json")).unwrap(), "json");
        assert_eq!(name(Some("application/problem+json")).unwrap(), "json");
        assert_eq!(name(Some("application/x-protobuf")).unwrap(), "proto");
        // A codec left out by its feature is a media type like any other unknown one.
        let xml = for_content_type(Some("text/xml; charset=utf-8"));
        if cfg!(feature = "xml") {
            assert_eq!(xml.unwrap().name(), "xml");
        } else {
            assert!(xml.unwrap_err().is_unsupported());
        }
        let err = for_content_type(Some("text/csv")).unwrap_err();
        assert!(err.is_unsupported());
        assert!(err.to_string().contains("\"text/csv\""), "{err}");
        assert!(err.to_string().contains("application/json"), "{err}");
    }

    #[test]
    fn accept_picks_the_first_registered_range() {
        let name = |a| for_accept(a).name().to_owned();
        // Without their features, yaml and xml are skipped as unregistered ranges.
        let or_json = |codec: &'static str, built_in: bool| if built_in { codec } else { "json" };
        let (yaml, xml) = (
            or_json("yaml", cfg!(feature = "yaml")),
            or_json("xml", cfg!(feature = "xml")),
        );
        assert_eq!(name(None), "json");
        assert_eq!(name(Some("*/*")), "json");
        assert_eq!(name(Some("text/html, application/yaml")), yaml);
        assert_eq!(name(Some("application/xml;q=0.5, application/json")), xml);
        assert_eq!(
            name(Some("application/xml;q=0, application/proto")),
            "proto"
        );
        assert_eq!(name(Some("application/xml; q=0.0")), "json");
        assert_eq!(name(Some("text/html, */*;q=0.8")), "json");
        assert_eq!(name(Some("text/html")), "json");
        assert_eq!(name(Some("application/x-protobuf")), "proto");
    }
}
