//! Keys and values as Go kratos writes them: `{prefix}/{name}/{id}` holding the
//! instance's JSON byte for byte as Go's `encoding/json` would, so a Go kratos
//! registry reads what we write and the other way round.

use kratos_core::Error;
use kratos_core::registry::ServiceInstance;

/// `{prefix}/{name}/`: every instance of `name`, and nothing of `{name}2`.
pub(crate) fn service_dir(prefix: &str, name: &str) -> String {
    format!("{prefix}/{name}/")
}

/// `{prefix}/{name}/{id}`.
pub(crate) fn instance_key(prefix: &str, instance: &ServiceInstance) -> String {
    format!("{prefix}/{}/{}", instance.name, instance.id)
}

/// The instance's JSON as Go's `json.Marshal` writes it: fields in declaration
/// order (serde keeps it), map keys sorted (a `BTreeMap`), and `<`, `>`, `&`,
/// U+2028, U+2029 escaped, which Go does by default and serde does not.
pub(crate) fn encode(instance: &ServiceInstance) -> Result<String, Error> {
    let json = serde_json::to_string(instance)
        .map_err(|e| Error::internal_server("REGISTRY", format!("encode instance: {e}")))?;
    // These characters can only occur inside JSON strings, where an escape means the same.
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The instance stored at `key`, or `None` (logged) for a value that is not an
/// instance of `name`: one bad writer must not hide every other instance.
pub(crate) fn decode(key: &[u8], value: &[u8], name: &str) -> Option<ServiceInstance> {
    match serde_json::from_slice::<ServiceInstance>(value) {
        Ok(instance) if instance.name == name => Some(instance),
        Ok(instance) => {
            tracing::warn!(
                key = %String::from_utf8_lossy(key),
                expected = name,
                found = %instance.name,
                "etcd registry: skipping an instance filed under another service's name"
            );
            None
        }
        Err(e) => {
            tracing::warn!(
                key = %String::from_utf8_lossy(key),
                error = %e,
                "etcd registry: skipping a value that is not a service instance"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_go_json_marshal() {
        let instance = ServiceInstance {
            id: "a&b".into(),
            name: "helloworld".into(),
            version: "<v1>".into(),
            metadata: [
                ("zone".to_owned(), "x\u{2028}".to_owned()),
                ("app".to_owned(), "1".to_owned()),
            ]
            .into_iter()
            .collect(),
            endpoints: vec!["grpc://10.0.0.5:9000".into()],
        };
        assert_eq!(
            encode(&instance).unwrap(),
            r#"{"id":"a\u0026b","name":"helloworld","version":"\u003cv1\u003e","metadata":{"app":"1","zone":"x\u2028"},"endpoints":["grpc://10.0.0.5:9000"]}"#
        );
        let back = decode(b"k", encode(&instance).unwrap().as_bytes(), "helloworld").unwrap();
        assert_eq!(back, instance);
    }

    #[test]
    fn skips_what_is_not_an_instance_of_the_name() {
        assert_eq!(decode(b"k", b"not json", "a"), None);
        assert_eq!(decode(b"k", br#"{"id":"1","name":"b"}"#, "a"), None);
        let go = br#"{"id":"1","name":"a","version":"","metadata":null,"endpoints":null}"#;
        assert_eq!(decode(b"k", go, "a").unwrap().id, "1");
    }

    #[test]
    fn keys_follow_go_kratos() {
        let instance = ServiceInstance {
            id: "i1".into(),
            name: "hello".into(),
            ..Default::default()
        };
        assert_eq!(
            instance_key("/microservices", &instance),
            "/microservices/hello/i1"
        );
        assert_eq!(
            service_dir("/microservices", "hello"),
            "/microservices/hello/"
        );
    }
}
