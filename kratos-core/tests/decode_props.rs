//! Property tests of every decoder: random bytes, random structured documents, chains
//! of nested messages around the nesting limit, and mutated valid encodings, fed to
//! the json, proto, xml, yaml and form codecs and to the path/query binding, all into
//! a recursive message written by `#[kratos::message]`. Every result is a value or a
//! codec error: never a panic, never a stack overflow (which would abort the run).

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

use std::collections::HashMap;

use kratos_core::encoding::{self, CodecError, MAX_DEPTH, set_fields};
use kratos_core::message::{FieldError, FieldValue};
use proptest::prelude::*;
use serde_json::Value;

#[path = "../../tests/it/hostile_codecs/bodies.rs"]
mod bodies;

/// A message that holds itself, with a list, a oneof and a map beside it.
#[kratos::message]
pub struct Node {
    pub name: String,
    pub child: Option<Box<Node>>,
    pub tags: Vec<String>,
    pub display_name: String,
    pub choice: Option<Choice>,
    pub labels: HashMap<String, String>,
    pub count: i64,
    pub flag: bool,
}

/// Two alternatives of one oneof.
#[kratos::message]
pub enum Choice {
    Text(String),
    Number(i64),
}

/// Builds a body nested as deep as its argument.
type Build = fn(usize) -> Vec<u8>;

const CODECS: [&str; 5] = ["json", "proto", "xml", "yaml", "x-www-form-urlencoded"];

fn decode(codec: &str, bytes: &[u8]) -> Result<Node, CodecError> {
    let mut node = Node::default();
    let codec = encoding::get(codec).expect("a built-in codec");
    codec.decode(bytes, &mut node).map(|()| node)
}

fn encode(codec: &str, node: &Node) -> Vec<u8> {
    let mut out = Vec::new();
    let codec = encoding::get(codec).expect("a built-in codec");
    codec.encode(node, &mut out).expect("a message encodes");
    out
}

/// How many children below the top-level node.
fn chain_depth(node: &Node) -> usize {
    let (mut depth, mut at) = (0, node);
    while let Some(child) = &at.child {
        depth += 1;
        at = child;
    }
    depth
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Field names of `Node` (declared and lowerCamel), the oneof's, and strangers.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "name", "child", "tags", "display_name", "displayName", "choice", "text", "number",
            "labels", "count", "flag", "$text", "$value", "@attr",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
    ]
}

/// Any JSON value, objects keyed mostly by `Node`'s field names, a few levels deep.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A value as XML: an object's entries as child elements, a list as repeated elements.
fn to_xml(name: &str, value: &Value, out: &mut String) {
    let name = if name.is_empty() || name.starts_with(['$', '@']) {
        "x"
    } else {
        name
    };
    match value {
        Value::Array(items) => items.iter().for_each(|item| to_xml(name, item, out)),
        Value::Object(fields) => {
            out.push_str(&format!("<{name}>"));
            fields.iter().for_each(|(k, v)| to_xml(k, v, out));
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => {
            let s = s.replace('&', "&amp;").replace('<', "&lt;");
            out.push_str(&format!("<{name}>{s}</{name}>"));
        }
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// A value as a form: dotted keys, repeated keys for lists.
fn to_form(prefix: &str, value: &Value, out: &mut form_urlencoded::Serializer<'_, String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| to_form(prefix, item, out)),
        Value::Object(fields) => {
            for (k, v) in fields {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                to_form(&key, v, out);
            }
        }
        Value::String(s) => {
            out.append_pair(prefix, s);
        }
        other => {
            out.append_pair(prefix, &other.to_string());
        }
    }
}

/// Any `Node`, a few levels deep, to encode and then damage.
fn node() -> impl Strategy<Value = Node> {
    // Text every codec carries (XML has no control characters).
    let text = "[a-zA-Z0-9 <>&'\"]{0,8}";
    let fields = (
        text,
        prop::collection::vec(text, 0..4),
        prop::option::of(prop_oneof![
            text.prop_map(Choice::Text),
            any::<i64>().prop_map(Choice::Number),
        ]),
        prop::collection::hash_map("[a-z]{1,4}", text, 0..3),
        any::<i64>(),
        any::<bool>(),
    );
    let leaf = fields
        .clone()
        .prop_map(|(name, tags, choice, labels, count, flag)| Node {
            name,
            tags,
            choice,
            labels,
            count,
            flag,
            ..Node::default()
        });
    leaf.prop_recursive(4, 8, 1, move |inner| {
        (fields.clone(), inner).prop_map(|((name, tags, choice, labels, count, flag), child)| {
            Node {
                name,
                child: Some(Box::new(child)),
                tags,
                choice,
                labels,
                count,
                flag,
                ..Node::default()
            }
        })
    })
}

/// `node` with every `labels` map emptied.
fn without_maps(node: &Node) -> Node {
    Node {
        labels: HashMap::new(),
        child: node.child.as_ref().map(|c| Box::new(without_maps(c))),
        ..node.clone()
    }
}

/// A chain of `depth` children in the given codec, built as text so that no encoder
/// recursion limits how deep a test can go.
fn chain(codec: &str, depth: usize) -> Vec<u8> {
    match codec {
        "json" => bodies::json_nodes(depth),
        "proto" => bodies::proto_nodes(depth),
        "xml" => bodies::xml_nodes(depth),
        "yaml" => bodies::yaml_nodes(depth),
        _ => bodies::form_nodes(depth),
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_are_a_value_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        for codec in CODECS {
            let _ = decode(codec, &bytes);
        }
    }

    #[test]
    fn random_text_with_brackets_is_a_value_or_an_error(
        text in prop::collection::vec(
            prop::sample::select(vec![
                "{", "}", "[", "]", "<a>", "</a>", "<", ">", "\"", "'", ":", ",", " ", "\n",
                "- ", "name", "child", "&", "=", ".", "#", "!", "*a", "&a ", "|", "\\", "x",
            ]),
            0..400,
        )
    ) {
        let text = text.concat();
        for codec in CODECS {
            let _ = decode(codec, text.as_bytes());
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn structured_documents_are_a_value_or_an_error(value in value()) {
        let json = serde_json::to_vec(&value).unwrap();
        let _ = decode("json", &json);
        let yaml = serde_norway::to_string(&value).unwrap();
        let _ = decode("yaml", yaml.as_bytes());
        let mut xml = String::new();
        to_xml("Node", &value, &mut xml);
        let _ = decode("xml", xml.as_bytes());
        let mut form = form_urlencoded::Serializer::new(String::new());
        to_form("", &value, &mut form);
        let _ = decode("x-www-form-urlencoded", form.finish().as_bytes());
    }

    #[test]
    fn a_chain_decodes_exactly_when_it_is_within_the_limit(
        depth in prop_oneof![3 => 0usize..=2 * MAX_DEPTH, 1 => 0usize..20_000],
    ) {
        chain_at(depth)?;
    }

    #[test]
    fn unknown_content_decodes_exactly_when_it_is_within_the_limit(
        depth in prop_oneof![3 => 0usize..=2 * MAX_DEPTH, 1 => 0usize..20_000],
    ) {
        unknown_content_at(depth)?;
    }

    #[test]
    fn damaged_encodings_are_a_value_or_an_error(
        node in node(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        for codec in CODECS {
            // A form has no syntax for a map field: leave the maps out of its encoding.
            let node = if codec == "x-www-form-urlencoded" { without_maps(&node) } else { node.clone() };
            let mut bytes = encode(codec, &node);
            // Undamaged, every codec reads back what it wrote. XML has no null: the
            // unset child of the innermost node comes back as an empty one.
            let back = decode(codec, &bytes);
            prop_assert!(back.is_ok(), "{codec}: {:?}", back.err());
            let (read, wrote) = (chain_depth(&back.unwrap()), chain_depth(&node));
            let extra = usize::from(codec == "xml");
            prop_assert_eq!(read, wrote + extra, "{}", codec);
            for (at, byte, op) in &edits {
                if bytes.is_empty() {
                    bytes.push(*byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = *byte,
                    1 => bytes.insert(i, *byte),
                    _ => {
                        bytes.remove(i);
                    }
                }
            }
            let _ = decode(codec, &bytes);
        }
    }

    #[test]
    fn path_and_query_binding_is_a_value_or_an_error(
        path in prop::collection::vec(key(), 0..(MAX_DEPTH + 20)),
        text in ".{0,16}",
    ) {
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        // What a route's path variable does.
        let _ = Node::default().set_text(&refs, &text);
        // What a query string (and a form body) does.
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair(&path.join("."), &text)
            .finish();
        let result = set_fields(&mut Node::default(), query.as_bytes());
        if path.len() > MAX_DEPTH + 1 {
            prop_assert_eq!(result, Err(FieldError::TooDeep));
        }
    }
}

/// Every body with unknown nested content decodes exactly when `depth` is within the limit.
fn unknown_content_at(depth: usize) -> Result<(), TestCaseError> {
    let bodies: [(&str, Build); 6] = [
        ("json", bodies::json_unknown_lists),
        ("json", bodies::json_unknown_maps),
        ("yaml", bodies::yaml_unknown_flow_lists),
        ("yaml", bodies::yaml_unknown_flow_maps),
        ("yaml", bodies::yaml_unknown_block_lists),
        ("xml", bodies::xml_unknown_elements),
    ];
    for (codec, body) in bodies {
        let result = decode(codec, &body(depth));
        prop_assert_eq!(
            result.is_ok(),
            depth <= MAX_DEPTH,
            "{} at {}: {:?}",
            codec,
            depth,
            result.err()
        );
    }
    Ok(())
}

/// A chain of `depth` children decodes, to that depth, exactly when it is within the limit.
fn chain_at(depth: usize) -> Result<(), TestCaseError> {
    for codec in CODECS {
        match decode(codec, &chain(codec, depth)) {
            Ok(node) => {
                prop_assert!(depth <= MAX_DEPTH, "{codec}: depth {depth} was accepted");
                prop_assert_eq!(chain_depth(&node), depth, "{}", codec);
            }
            Err(error) => {
                prop_assert!(depth > MAX_DEPTH, "{codec}: depth {depth}: {error}");
                prop_assert!(
                    error.to_string().contains("nesting is too deep"),
                    "{codec}: {error}"
                );
            }
        }
    }
    Ok(())
}

/// The depths where a fixture or a limit is most likely off by one, every run (the
/// properties above draw them only now and then).
#[test]
fn the_edges_of_the_limit_every_run() {
    for depth in [0, 1, 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1] {
        chain_at(depth).unwrap();
        unknown_content_at(depth).unwrap();
    }
}
