//! `#[kratos::message]` as a user sees it: the protobuf JSON mapping (checked
//! against the mapping's own rules), the binary form (checked against a message
//! prost derives independently), enums, oneofs, well-known types, recursion,
//! and setting fields from query text.

use std::collections::HashMap;

use kratos::proto::FieldValue;
use kratos::proto::{Duration, Timestamp};
use prost::Message as _;
use serde_json::json;

#[cfg(feature = "proto-export")]
use crate::process::python_client;

/// A proto enum: values `STATUS_UNSPECIFIED`, `STATUS_ACTIVE`, `STATUS_BANNED`.
#[kratos::message]
pub enum Status {
    Unspecified,
    Active,
    Banned = 5,
}

/// A message used inside others.
#[kratos::message]
pub struct Address {
    pub city: String,
    pub zip_code: u32,
}

/// A oneof: the alternatives are numbered from the field that holds it.
#[kratos::message]
pub enum Contact {
    Email(String),
    Mail(Address),
}

/// Every supported field type.
#[kratos::message]
pub struct Everything {
    pub user_id: i64,
    pub count: u64,
    pub small: i32,
    pub unsigned: u32,
    pub ratio: f32,
    pub score: f64,
    pub active: bool,
    pub display_name: String,
    pub avatar: Vec<u8>,
    pub tags: Vec<String>,
    pub lucky: Vec<i64>,
    pub addresses: Vec<Address>,
    pub labels: HashMap<String, i64>,
    pub by_id: HashMap<u32, Address>,
    pub nickname: Option<String>,
    pub home: Option<Address>,
    pub status: Status,
    pub history: Vec<Status>,
    pub contact: Option<Contact>,
    pub created_at: Option<Timestamp>,
    pub ttl: Option<Duration>,
    #[tag(40)]
    pub last: String,
}

/// The same message as prost would write it by hand from the `.proto`: an
/// independent encoder and decoder to compare our bytes with.
mod mirror {
    use std::collections::HashMap;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Address {
        #[prost(string, tag = "1")]
        pub city: String,
        #[prost(uint32, tag = "2")]
        pub zip_code: u32,
    }

    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Contact {
        #[prost(string, tag = "19")]
        Email(String),
        #[prost(message, tag = "20")]
        Mail(Address),
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Everything {
        #[prost(int64, tag = "1")]
        pub user_id: i64,
        #[prost(uint64, tag = "2")]
        pub count: u64,
        #[prost(int32, tag = "3")]
        pub small: i32,
        #[prost(uint32, tag = "4")]
        pub unsigned: u32,
        #[prost(float, tag = "5")]
        pub ratio: f32,
        #[prost(double, tag = "6")]
        pub score: f64,
        #[prost(bool, tag = "7")]
        pub active: bool,
        #[prost(string, tag = "8")]
        pub display_name: String,
        #[prost(bytes = "vec", tag = "9")]
        pub avatar: Vec<u8>,
        #[prost(string, repeated, tag = "10")]
        pub tags: Vec<String>,
        #[prost(int64, repeated, tag = "11")]
        pub lucky: Vec<i64>,
        #[prost(message, repeated, tag = "12")]
        pub addresses: Vec<Address>,
        #[prost(map = "string, int64", tag = "13")]
        pub labels: HashMap<String, i64>,
        #[prost(map = "uint32, message", tag = "14")]
        pub by_id: HashMap<u32, Address>,
        #[prost(string, optional, tag = "15")]
        pub nickname: Option<String>,
        #[prost(message, optional, tag = "16")]
        pub home: Option<Address>,
        #[prost(int32, tag = "17")]
        pub status: i32,
        #[prost(int32, repeated, tag = "18")]
        pub history: Vec<i32>,
        #[prost(oneof = "Contact", tags = "19, 20")]
        pub contact: Option<Contact>,
        #[prost(message, optional, tag = "21")]
        pub created_at: Option<kratos::proto::Timestamp>,
        #[prost(message, optional, tag = "22")]
        pub ttl: Option<kratos::proto::Duration>,
        #[prost(string, tag = "40")]
        pub last: String,
    }
}

fn sample() -> Everything {
    Everything {
        user_id: -9_007_199_254_740_993,
        count: u64::MAX,
        small: -3,
        unsigned: 7,
        ratio: 0.5,
        score: -2.25,
        active: true,
        display_name: "Ann".into(),
        avatar: vec![0xfb, 0xff, 0x00],
        tags: vec!["a".into(), "b".into()],
        lucky: vec![1, -1, 1 << 40],
        addresses: vec![Address {
            city: "Oslo".into(),
            zip_code: 150,
        }],
        labels: [("tier".to_owned(), 3)].into(),
        by_id: [(
            9,
            Address {
                city: "Bergen".into(),
                zip_code: 5003,
            },
        )]
        .into(),
        nickname: Some(String::new()),
        home: None,
        status: Status::Banned,
        history: vec![Status::Active, Status::Unspecified, Status::Banned],
        contact: Some(Contact::Mail(Address {
            city: "Tromsø".into(),
            zip_code: 9008,
        })),
        created_at: Some(Timestamp {
            seconds: 63_108_020,
            nanos: 21_000_000,
        }),
        ttl: Some(Duration {
            seconds: 1,
            nanos: 500_000_000,
        }),
        last: "end".into(),
    }
}

#[test]
fn json_follows_the_protobuf_mapping() {
    let value = serde_json::to_value(sample()).unwrap();
    let expected = json!({
        "userId": "-9007199254740993",
        "count": "18446744073709551615",
        "small": -3,
        "unsigned": 7,
        "ratio": 0.5,
        "score": -2.25,
        "active": true,
        "displayName": "Ann",
        "avatar": "+/8A",
        "tags": ["a", "b"],
        "lucky": ["1", "-1", "1099511627776"],
        "addresses": [{"city": "Oslo", "zipCode": 150}],
        "labels": {"tier": "3"},
        "byId": {"9": {"city": "Bergen", "zipCode": 5003}},
        "nickname": "",
        "home": null,
        "status": "STATUS_BANNED",
        "history": ["STATUS_ACTIVE", "STATUS_UNSPECIFIED", "STATUS_BANNED"],
        "mail": {"city": "Tromsø", "zipCode": 9008},
        "createdAt": "1972-01-01T10:00:20.021Z",
        "ttl": "1.500s",
        "last": "end",
    });
    assert_eq!(value, expected);

    // Unset: every field still written (message and optional as null), the oneof not at all.
    let empty = serde_json::to_value(Everything::default()).unwrap();
    assert_eq!(empty["userId"], "0");
    assert_eq!(empty["home"], serde_json::Value::Null);
    assert_eq!(empty["nickname"], serde_json::Value::Null);
    assert_eq!(empty["status"], "STATUS_UNSPECIFIED");
    assert_eq!(empty["labels"], json!({}));
    assert!(empty.get("mail").is_none() && empty.get("email").is_none());
    assert!(empty.get("contact").is_none());
}

#[test]
fn json_round_trips_and_reads_what_protobuf_json_allows() {
    let text = serde_json::to_string(&sample()).unwrap();
    assert_eq!(serde_json::from_str::<Everything>(&text).unwrap(), sample());

    let lenient: Everything = serde_json::from_str(
        r#"{
            "user_id": 12, "count": "1e3", "small": "4", "ratio": "NaN",
            "display_name": "by declared name", "avatar": "-_8A",
            "status": 1, "history": ["STATUS_BANNED", 0, "Active"],
            "home": {"city": "Rome", "zip_code": "100"},
            "email": "a@b.c", "createdAt": null, "unknownKey": {"ignored": [1, 2]},
            "by_id": {"4": null}
        }"#,
    )
    .unwrap();
    assert_eq!(lenient.user_id, 12);
    assert_eq!(lenient.count, 1000);
    assert_eq!(lenient.small, 4);
    assert!(lenient.ratio.is_nan());
    assert_eq!(lenient.display_name, "by declared name");
    assert_eq!(lenient.avatar, [0xfb, 0xff, 0x00]);
    assert_eq!(lenient.status, Status::Active);
    assert_eq!(
        lenient.history,
        [Status::Banned, Status::Unspecified, Status::Active]
    );
    assert_eq!(lenient.home.as_ref().unwrap().zip_code, 100);
    assert_eq!(lenient.contact, Some(Contact::Email("a@b.c".into())));
    assert_eq!(lenient.created_at, None);
    assert_eq!(lenient.by_id[&4], Address::default());

    for (bad, why) in [
        (r#"{"small": 4294967296}"#, "out of range for i32"),
        (
            r#"{"status": "STATUS_GONE"}"#,
            "is not one of STATUS_UNSPECIFIED",
        ),
        (r#"{"avatar": "***"}"#, "is not base64"),
        (r#"{"createdAt": "yesterday"}"#, "cannot be read"),
        (r#"{"labels": {"tier": "x"}}"#, "is not a i64"),
    ] {
        let err = serde_json::from_str::<Everything>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{bad}: {err}");
    }
}

#[test]
fn binary_form_matches_an_independent_prost_message() {
    let ours = sample();
    let bytes = ours.encode_to_vec();
    assert_eq!(bytes.len(), ours.encoded_len());
    let theirs = mirror::Everything::decode(bytes.as_slice()).unwrap();
    assert_eq!(theirs.user_id, ours.user_id);
    assert_eq!(theirs.count, ours.count);
    assert_eq!(theirs.small, ours.small);
    assert_eq!(theirs.unsigned, ours.unsigned);
    assert_eq!(theirs.ratio, ours.ratio);
    assert_eq!(theirs.score, ours.score);
    assert_eq!(theirs.active, ours.active);
    assert_eq!(theirs.display_name, ours.display_name);
    assert_eq!(theirs.avatar, ours.avatar);
    assert_eq!(theirs.tags, ours.tags);
    assert_eq!(theirs.lucky, ours.lucky);
    assert_eq!(theirs.addresses[0].city, "Oslo");
    assert_eq!(theirs.labels, ours.labels);
    assert_eq!(theirs.by_id[&9].zip_code, 5003);
    assert_eq!(
        theirs.nickname,
        Some(String::new()),
        "an optional empty string is present"
    );
    assert_eq!(theirs.home, None);
    assert_eq!(theirs.status, 5);
    assert_eq!(theirs.history, [1, 0, 5]);
    assert_eq!(
        theirs.contact,
        Some(mirror::Contact::Mail(mirror::Address {
            city: "Tromsø".into(),
            zip_code: 9008
        }))
    );
    assert_eq!(theirs.created_at.unwrap().seconds, 63_108_020);
    assert_eq!(theirs.ttl.unwrap().nanos, 500_000_000);
    assert_eq!(theirs.last, "end");

    // And back: what prost writes, we read, field for field.
    let again = Everything::decode(theirs.encode_to_vec().as_slice()).unwrap();
    assert_eq!(again, ours);
    // Defaults are not written at all (proto3 implicit presence).
    assert!(Everything::default().encode_to_vec().is_empty());
}

#[test]
fn unknown_fields_and_enum_numbers_do_not_fail_decoding() {
    let mut theirs = mirror::Everything {
        status: 99,
        ..Default::default()
    };
    theirs.history = vec![1, 42];
    let mut bytes = theirs.encode_to_vec();
    // Field 30, varint 1: a field this build does not know.
    bytes.extend([0xf0, 0x01, 0x01]);
    let ours = Everything::decode(bytes.as_slice()).unwrap();
    assert_eq!(
        ours.status,
        Status::Unspecified,
        "an unknown number reads as the zero value"
    );
    assert_eq!(ours.history, [Status::Active, Status::Unspecified]);
}

/// A message that holds itself.
#[kratos::message]
pub struct Node {
    pub name: String,
    pub child: Option<Box<Node>>,
}

#[test]
fn recursive_messages_encode_and_decode() {
    let tree = Node {
        name: "root".into(),
        child: Some(Box::new(Node {
            name: "leaf".into(),
            child: None,
        })),
    };
    assert_eq!(Node::decode(tree.encode_to_vec().as_slice()).unwrap(), tree);
    let text = serde_json::to_string(&tree).unwrap();
    assert_eq!(
        text,
        r#"{"name":"root","child":{"name":"leaf","child":null}}"#
    );
    assert_eq!(serde_json::from_str::<Node>(&text).unwrap(), tree);
}

#[test]
fn query_text_sets_scalars_enums_nested_fields_and_oneof_alternatives() {
    let mut m = Everything::default();
    m.set_text(&["status"], "STATUS_ACTIVE").unwrap();
    m.set_text(&["history"], "2").unwrap_err();
    m.set_text(&["history"], "Banned").unwrap();
    m.set_text(&["mail", "city"], "Paris").unwrap();
    m.set_text(&["mail", "zipCode"], "75001").unwrap();
    m.set_text(&["avatar"], "AQI=").unwrap();
    m.set_text(&["createdAt"], "2024-02-29T12:00:00Z").unwrap();
    assert_eq!(m.status, Status::Active);
    assert_eq!(m.history, [Status::Banned]);
    assert_eq!(
        m.contact,
        Some(Contact::Mail(Address {
            city: "Paris".into(),
            zip_code: 75001
        }))
    );
    assert_eq!(m.avatar, [1, 2]);
    assert_eq!(m.created_at.unwrap().seconds, 1_709_208_000);
    let err = m.set_text(&["nothing"], "1").unwrap_err();
    assert_eq!(err.to_string(), "unknown field \"nothing\"");
}

/// Declared names on output for this message only.
#[kratos::message(declared_names, package = "people.v1")]
pub struct Legacy {
    pub user_id: i64,
    pub contact: Option<Contact>,
}

#[test]
fn a_message_can_keep_declared_names_and_name_its_package() {
    let m = Legacy {
        user_id: 1,
        contact: Some(Contact::Email("x".into())),
    };
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"user_id": "1", "email": "x"})
    );
    let back: Legacy = serde_json::from_str(r#"{"userId": "1", "email": "x"}"#).unwrap();
    assert_eq!(back, m);
    let d = <Legacy as kratos::proto::Message>::descriptor();
    assert_eq!(d.package, Some("people.v1"));
}

#[test]
fn descriptors_carry_numbers_kinds_and_names() {
    use kratos::descriptor::{FieldKind, FieldType};
    let d = <Everything as kratos::proto::Message>::descriptor();
    assert_eq!(d.name, "Everything");
    let numbers: Vec<u32> = d.fields.iter().map(|f| f.number).collect();
    // The oneof takes 19 and 20; `last` says 40.
    assert_eq!(
        numbers,
        [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 40
        ]
    );
    let field = |name: &str| d.fields.iter().find(|f| f.name == name).unwrap();
    assert_eq!(field("user_id").json_name, "userId");
    assert!(matches!(
        field("nickname").kind,
        FieldKind::Optional(FieldType::String)
    ));
    assert!(matches!(
        field("lucky").kind,
        FieldKind::Repeated(FieldType::Int64)
    ));
    assert!(matches!(
        field("by_id").kind,
        FieldKind::Map(FieldType::Uint32, FieldType::Message(_))
    ));
    let FieldKind::Singular(FieldType::Enum(status)) = field("status").kind else {
        panic!("status is an enum field")
    };
    let names: Vec<(&str, i32)> = status().values.iter().map(|v| (v.name, v.number)).collect();
    assert_eq!(
        names,
        [
            ("STATUS_UNSPECIFIED", 0),
            ("STATUS_ACTIVE", 1),
            ("STATUS_BANNED", 5)
        ]
    );
    let FieldKind::Oneof(contact) = field("contact").kind else {
        panic!("contact is a oneof")
    };
    let alternatives: Vec<&str> = contact().variants.iter().map(|v| v.name).collect();
    assert_eq!(alternatives, ["email", "mail"]);
    let FieldKind::Singular(FieldType::Message(ts)) = field("created_at").kind else {
        panic!("a timestamp is a message field")
    };
    assert_eq!(
        (ts().package, ts().name),
        (Some("google.protobuf"), "Timestamp")
    );
}

/// A service so the export has something to describe: its request uses every type.
#[cfg(feature = "proto-export")]
#[kratos::service(package = "compat.v1")]
pub trait Compat {
    /// Echoes the message.
    async fn echo(&self, req: Everything) -> kratos::Result<Everything>;
}

#[test]
#[cfg(feature = "proto-export")]
fn python_classes_from_the_exported_proto_read_our_bytes_field_for_field() {
    struct Nobody;
    impl Compat for Nobody {
        async fn echo(&self, req: Everything) -> kratos::Result<Everything> {
            Ok(req)
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let files =
        kratos::descriptor::proto_text::export(&[CompatServer::<Nobody>::DESCRIPTOR], dir.path())
            .unwrap();
    assert!(
        files.iter().any(|f| f.ends_with("compat/v1/compat.proto")),
        "{files:?}"
    );
    let ours = dir.path().join("ours.bin");
    let theirs = dir.path().join("theirs.bin");
    std::fs::write(&ours, sample().encode_to_vec()).unwrap();
    let seen = python_client(
        "proto_compat.py",
        &[
            dir.path().as_os_str(),
            "compat.v1.compat_pb2".as_ref(),
            "Everything".as_ref(),
            ours.as_os_str(),
            theirs.as_os_str(),
        ],
    );
    let py = &seen["json"];
    assert_eq!(seen["which_oneof"], "mail");
    assert_eq!(py["user_id"], "-9007199254740993");
    assert_eq!(py["count"], "18446744073709551615");
    assert_eq!(py["small"], -3);
    assert_eq!(py["unsigned"], 7);
    assert_eq!(py["ratio"], 0.5);
    assert_eq!(py["score"], -2.25);
    assert_eq!(py["active"], true);
    assert_eq!(py["display_name"], "Ann");
    assert_eq!(py["avatar"], "+/8A");
    assert_eq!(py["tags"], json!(["a", "b"]));
    assert_eq!(py["lucky"], json!(["1", "-1", "1099511627776"]));
    assert_eq!(py["addresses"], json!([{"city": "Oslo", "zip_code": 150}]));
    assert_eq!(py["labels"], json!({"tier": "3"}));
    assert_eq!(
        py["by_id"],
        json!({"9": {"city": "Bergen", "zip_code": 5003}})
    );
    assert_eq!(py["nickname"], "", "present though empty: proto3 optional");
    assert!(py.get("home").is_none(), "an unset message stays unset");
    assert_eq!(py["status"], "STATUS_BANNED");
    assert_eq!(
        py["history"],
        json!(["STATUS_ACTIVE", "STATUS_UNSPECIFIED", "STATUS_BANNED"])
    );
    assert_eq!(py["mail"], json!({"city": "Tromsø", "zip_code": 9008}));
    assert_eq!(py["created_at"], "1972-01-01T10:00:20.021Z");
    assert_eq!(py["ttl"], "1.500s");
    assert_eq!(py["last"], "end");

    // What Python writes back, we read as the same message.
    let back = Everything::decode(std::fs::read(&theirs).unwrap().as_slice()).unwrap();
    assert_eq!(back, sample());
}

/// A proto enum whose values are named without the enum's prefix, as older protos
/// name them (`RED`, not `COLOR_RED`).
#[kratos::message(package = "paint.v1", unprefixed)]
pub enum Color {
    /// The default.
    Red = 0,
    /// Two words.
    DarkBlue = 2,
}

/// Holds a [`Color`].
#[kratos::message(package = "paint.v1")]
pub struct Paint {
    /// The color.
    pub color: Color,
}

/// Paints: the service the export test writes [`Paint`] and [`Color`] from.
#[cfg(feature = "proto-export")]
#[kratos::service(package = "paint.v1")]
pub trait Painter {
    /// Answers the paint it got.
    async fn paint(&self, req: Paint) -> kratos::Result<Paint>;
}

#[test]
fn an_unprefixed_enum_names_its_values_without_the_enums_name() {
    use kratos::proto::ProtoEnum;
    let paint = Paint {
        color: Color::DarkBlue,
    };
    assert_eq!(
        serde_json::to_value(&paint).unwrap(),
        json!({"color": "DARK_BLUE"})
    );
    for sent in [json!("DARK_BLUE"), json!("DarkBlue"), json!(2)] {
        let read: Paint = serde_json::from_value(json!({ "color": sent })).unwrap();
        assert_eq!(read.color, Color::DarkBlue, "{sent}");
    }
    assert!(serde_json::from_value::<Paint>(json!({"color": "COLOR_DARK_BLUE"})).is_err());
    let names: Vec<_> = Color::descriptor().values.iter().map(|v| v.name).collect();
    assert_eq!(names, ["RED", "DARK_BLUE"]);
    #[cfg(feature = "proto-export")]
    {
        struct Brush;
        impl Painter for Brush {
            async fn paint(&self, req: Paint) -> kratos::Result<Paint> {
                Ok(req)
            }
        }
        let app = kratos::App::builder()
            .service(PainterServer::new(Brush))
            .build();
        let files = kratos::descriptor::proto_text::proto_files(app.services());
        let text: String = files.into_iter().map(|(_, text)| text).collect();
        assert!(
            text.contains("  RED = 0;") && text.contains("  DARK_BLUE = 2;"),
            "{text}"
        );
        assert!(!text.contains("COLOR_DARK_BLUE"), "{text}");
    }
}
