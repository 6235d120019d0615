//! Hand-built `'static` descriptors, as `#[kratos::service]` and `#[kratos::message]`
//! write them, for the export tests: a Greeter with GET, POST, PATCH and DELETE
//! routes and a gRPC-only method, a message that uses every kind of field, a packaged
//! message shared by two services, the well-known Timestamp and Duration, and a
//! service whose request has every kind of field rule.
//!
//! Shared by the unit tests (as `crate::descriptor::fixtures`) and by
//! `tests/proto_export.rs` (through `#[path]`): names are reached through `super`,
//! which is the descriptor module in one and the test crate's root in the other.

// Shared with tests/proto_export.rs, where the items are the test crate's own.
#![allow(unreachable_pub)]

use super::field_rules::{Pattern, Rule, Value};
use super::message::WELL_KNOWN_PACKAGE;
use super::{
    EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FieldKind, FieldType, HttpMethod,
    MessageDescriptor, MethodDescriptor, MethodShape, OneofDescriptor, RouteBody, RouteDescriptor,
    ServiceDescriptor,
};

const fn field(
    name: &'static str,
    json_name: &'static str,
    number: u32,
    kind: FieldKind,
    doc: &'static str,
) -> FieldDescriptor {
    ruled(name, json_name, number, kind, doc, &[])
}

const fn ruled(
    name: &'static str,
    json_name: &'static str,
    number: u32,
    kind: FieldKind,
    doc: &'static str,
    rules: &'static [Rule],
) -> FieldDescriptor {
    FieldDescriptor {
        name,
        json_name,
        number,
        kind,
        doc,
        rules,
    }
}

use FieldKind::{Map, Oneof, Optional, Repeated, Singular};
use FieldType::*;

fn timestamp() -> &'static MessageDescriptor {
    &TIMESTAMP
}
fn duration() -> &'static MessageDescriptor {
    &DURATION
}
fn child() -> &'static MessageDescriptor {
    &CHILD
}
fn everything() -> &'static MessageDescriptor {
    &EVERYTHING
}
fn page() -> &'static MessageDescriptor {
    &PAGE
}
fn status() -> &'static EnumDescriptor {
    &STATUS
}
fn contact() -> &'static OneofDescriptor {
    &CONTACT
}
fn hello_request() -> &'static MessageDescriptor {
    &HELLO_REQUEST
}
fn hello_reply() -> &'static MessageDescriptor {
    &HELLO_REPLY
}
fn patch_request() -> &'static MessageDescriptor {
    &PATCH_REQUEST
}
fn ping_request() -> &'static MessageDescriptor {
    &PING_REQUEST
}
fn list_request() -> &'static MessageDescriptor {
    &LIST_REQUEST
}
fn list_reply() -> &'static MessageDescriptor {
    &LIST_REPLY
}
fn counts_entry() -> &'static MessageDescriptor {
    &COUNTS_ENTRY
}
fn time_reply() -> &'static MessageDescriptor {
    &TIME_REPLY
}

/// google.protobuf.Timestamp, as the message macro describes `prost_types::Timestamp`.
pub static TIMESTAMP: MessageDescriptor = MessageDescriptor {
    name: "Timestamp",
    package: Some(WELL_KNOWN_PACKAGE),
    fields: &[
        field("seconds", "seconds", 1, Singular(Int64), ""),
        field("nanos", "nanos", 2, Singular(Int32), ""),
    ],
    doc: "",
};

/// google.protobuf.Duration.
pub static DURATION: MessageDescriptor = MessageDescriptor {
    name: "Duration",
    package: Some(WELL_KNOWN_PACKAGE),
    fields: &[
        field("seconds", "seconds", 1, Singular(Int64), ""),
        field("nanos", "nanos", 2, Singular(Int32), ""),
    ],
    doc: "",
};

/// A message without a package, reached from three packages.
pub static CHILD: MessageDescriptor = MessageDescriptor {
    name: "Child",
    package: None,
    fields: &[
        field("id", "id", 1, Singular(String), ""),
        field(
            "display_name",
            "displayName",
            2,
            Singular(String),
            " Shown to people.",
        ),
    ],
    doc: " A nested message.",
};

/// An enum without a package.
pub static STATUS: EnumDescriptor = EnumDescriptor {
    name: "Status",
    package: None,
    values: &[
        EnumValueDescriptor {
            name: "STATUS_UNSPECIFIED",
            number: 0,
            doc: "",
        },
        EnumValueDescriptor {
            name: "STATUS_ACTIVE",
            number: 1,
            doc: "",
        },
        EnumValueDescriptor {
            name: "STATUS_BLOCKED",
            number: 2,
            doc: "",
        },
    ],
    doc: " Where a thing stands.",
};

/// A oneof of a scalar and a message.
pub static CONTACT: OneofDescriptor = OneofDescriptor {
    name: "contact",
    variants: &[
        field("email", "email", 0, Singular(String), " By mail."),
        field("person", "person", 1, Singular(Message(child)), ""),
    ],
};

/// Every kind of field the message macro writes.
pub static EVERYTHING: MessageDescriptor = MessageDescriptor {
    name: "Everything",
    package: None,
    fields: &[
        field("double_value", "doubleValue", 1, Singular(Double), ""),
        field("float_value", "floatValue", 2, Singular(Float), ""),
        field("int32_value", "int32Value", 3, Singular(Int32), ""),
        field("int64_value", "int64Value", 4, Singular(Int64), " The id."),
        field("uint32_value", "uint32Value", 5, Singular(Uint32), ""),
        field("uint64_value", "uint64Value", 6, Singular(Uint64), ""),
        field("bool_value", "boolValue", 7, Singular(Bool), ""),
        field("string_value", "stringValue", 8, Singular(String), ""),
        field("bytes_value", "bytesValue", 9, Singular(Bytes), ""),
        field("tags", "tags", 10, Repeated(String), ""),
        field("children", "children", 11, Repeated(Message(child)), ""),
        field("counts", "counts", 12, Map(String, Int64), ""),
        field("by_name", "byName", 13, Map(String, Message(child)), ""),
        field("limit", "limit", 14, Optional(Int32), " At most this many."),
        field("child", "child", 15, Singular(Message(child)), ""),
        field("status", "status", 16, Singular(Enum(status)), ""),
        field(
            "contact",
            "contact",
            17,
            Oneof(contact),
            " How to reach it.",
        ),
        field(
            "created_at",
            "createdAt",
            20,
            Singular(Message(timestamp)),
            "",
        ),
        field("ttl", "ttl", 21, Singular(Message(duration)), ""),
        field("next", "next", 22, Singular(Message(everything)), ""),
        field("e_tag", "etag", 23, Singular(String), " Named by hand."),
        field("ids", "ids", 30, Repeated(Int64), ""),
        field("statuses", "statuses", 31, Repeated(Enum(status)), ""),
    ],
    doc: " Every kind of field.\n Second line.",
};

/// A message with an explicit package other than its users'.
pub static PAGE: MessageDescriptor = MessageDescriptor {
    name: "Page",
    package: Some("common.v1"),
    fields: &[
        field("size", "size", 1, Singular(Int32), ""),
        field("token", "token", 2, Singular(String), ""),
        field("cursor", "cursor", 3, Singular(Message(child)), ""),
    ],
    doc: " A page of results.",
};

/// SayHello's request.
pub static HELLO_REQUEST: MessageDescriptor = MessageDescriptor {
    name: "HelloRequest",
    package: None,
    fields: &[
        field("name", "name", 1, Singular(String), " Who to greet."),
        field("page", "page", 2, Singular(Message(page)), ""),
    ],
    doc: " The request message containing the user's name.",
};

/// SayHello's reply.
pub static HELLO_REPLY: MessageDescriptor = MessageDescriptor {
    name: "HelloReply",
    package: None,
    fields: &[field("message", "message", 1, Singular(String), "")],
    doc: "",
};

/// A request whose body is one field.
pub static PATCH_REQUEST: MessageDescriptor = MessageDescriptor {
    name: "PatchRequest",
    package: None,
    fields: &[
        field("thing", "thing", 1, Singular(Message(everything)), ""),
        field("dry_run", "dryRun", 2, Singular(Bool), ""),
    ],
    doc: "",
};

/// A message with no fields.
pub static PING_REQUEST: MessageDescriptor = MessageDescriptor {
    name: "PingRequest",
    package: None,
    fields: &[],
    doc: "",
};

/// Catalog's request: reaches Page (common.v1) and Child from another package.
pub static LIST_REQUEST: MessageDescriptor = MessageDescriptor {
    name: "ListRequest",
    package: None,
    fields: &[
        field("page", "page", 1, Singular(Message(page)), ""),
        field("filter", "filter", 2, Singular(Message(child)), ""),
    ],
    doc: "",
};

/// Catalog's reply.
pub static LIST_REPLY: MessageDescriptor = MessageDescriptor {
    name: "ListReply",
    package: None,
    fields: &[field("items", "items", 1, Repeated(Message(child)), "")],
    doc: "",
};

/// Greeter.SayHello: a GET binding and a POST one.
pub static SAY_HELLO: MethodDescriptor = MethodDescriptor {
    name: "SayHello",
    shape: MethodShape::Unary,
    operation: "/helloworld.v1.Greeter/SayHello",
    request: hello_request,
    reply: hello_reply,
    routes: &[
        RouteDescriptor {
            method: HttpMethod::Get,
            path: "/helloworld/{name}",
            params: &["name"],
            body: RouteBody::None,
            status: 200,
            max_body: None,
        },
        RouteDescriptor {
            method: HttpMethod::Post,
            path: "/helloworld",
            params: &[],
            body: RouteBody::All,
            status: 200,
            max_body: None,
        },
    ],
    doc: " Sends a greeting.",
};

/// Greeter.Store: the whole body, status 201.
pub static STORE: MethodDescriptor = MethodDescriptor {
    name: "Store",
    shape: MethodShape::Unary,
    operation: "/helloworld.v1.Greeter/Store",
    request: everything,
    reply: everything,
    routes: &[RouteDescriptor {
        method: HttpMethod::Post,
        path: "/v1/things",
        params: &[],
        body: RouteBody::All,
        status: 201,
        max_body: None,
    }],
    doc: "",
};

/// Greeter.Patch: a nested path variable written with its JSON name, a body field.
pub static PATCH: MethodDescriptor = MethodDescriptor {
    name: "Patch",
    shape: MethodShape::Unary,
    operation: "/helloworld.v1.Greeter/Patch",
    request: patch_request,
    reply: everything,
    routes: &[RouteDescriptor {
        method: HttpMethod::Patch,
        path: "/v1/things/{thing.int64Value}",
        params: &["thing.int64Value"],
        body: RouteBody::Field("thing"),
        status: 200,
        max_body: None,
    }],
    doc: "",
};

/// Greeter.Remove: DELETE, the rest of the message from the query.
pub static REMOVE: MethodDescriptor = MethodDescriptor {
    name: "Remove",
    shape: MethodShape::Unary,
    operation: "/helloworld.v1.Greeter/Remove",
    request: everything,
    reply: hello_reply,
    routes: &[RouteDescriptor {
        method: HttpMethod::Delete,
        path: "/v1/things/{int64_value}",
        params: &["int64Value"],
        body: RouteBody::None,
        status: 200,
        max_body: None,
    }],
    doc: "",
};

/// Greeter.Ping: gRPC only.
pub static PING: MethodDescriptor = MethodDescriptor {
    name: "Ping",
    shape: MethodShape::Unary,
    operation: "/helloworld.v1.Greeter/Ping",
    request: ping_request,
    reply: hello_reply,
    routes: &[],
    doc: "",
};

/// helloworld.v1.Greeter.
pub static GREETER: ServiceDescriptor = ServiceDescriptor {
    package: "helloworld.v1",
    name: "Greeter",
    full_name: "helloworld.v1.Greeter",
    methods: &[&SAY_HELLO, &STORE, &PATCH, &REMOVE, &PING],
    doc: " The greeting service definition.",
};

/// shop.v1.Catalog.List.
pub static LIST: MethodDescriptor = MethodDescriptor {
    name: "List",
    shape: MethodShape::Unary,
    operation: "/shop.v1.Catalog/List",
    request: list_request,
    reply: list_reply,
    routes: &[],
    doc: "",
};

/// shop.v1.Catalog: another package, gRPC only.
pub static CATALOG: ServiceDescriptor = ServiceDescriptor {
    package: "shop.v1",
    name: "Catalog",
    full_name: "shop.v1.Catalog",
    methods: &[&LIST],
    doc: "",
};

/// A top-level message named like the entry protoc nests for a `counts` map.
pub static COUNTS_ENTRY: MessageDescriptor = MessageDescriptor {
    name: "CountsEntry",
    package: None,
    fields: &[field("n", "n", 1, Singular(Int32), "")],
    doc: "",
};

/// Names that a relative reference would resolve wrongly: `google.protobuf.Timestamp`
/// from package `acme.google.v1`, `CountsEntry` beside a `counts` map.
pub static TIME_REPLY: MessageDescriptor = MessageDescriptor {
    name: "TimeReply",
    package: None,
    fields: &[
        field("at", "at", 1, Singular(Message(timestamp)), ""),
        field("counts", "counts", 2, Map(String, Int32), ""),
        field("other", "other", 3, Singular(Message(counts_entry)), ""),
    ],
    doc: "",
};

/// acme.google.v1.Clock.Now.
pub static NOW: MethodDescriptor = MethodDescriptor {
    name: "Now",
    shape: MethodShape::Unary,
    operation: "/acme.google.v1.Clock/Now",
    request: ping_request,
    reply: time_reply,
    routes: &[RouteDescriptor {
        method: HttpMethod::Get,
        path: "/v1/now",
        params: &[],
        body: RouteBody::None,
        status: 200,
        max_body: None,
    }],
    doc: "",
};

/// acme.google.v1.Clock: a package with a `google` segment, which captures the
/// relative name `google.protobuf.Timestamp`.
pub static CLOCK: ServiceDescriptor = ServiceDescriptor {
    package: "acme.google.v1",
    name: "Clock",
    full_name: "acme.google.v1.Clock",
    methods: &[&NOW],
    doc: "",
};

fn rules_request() -> &'static MessageDescriptor {
    &RULES_REQUEST
}

static CODE_PATTERN: Pattern = Pattern::new(r"^[A-Z]\d+$");

/// A request with every kind of `#[rule(..)]`, as the message macro writes them.
pub static RULES_REQUEST: MessageDescriptor = MessageDescriptor {
    name: "RulesRequest",
    package: None,
    fields: &[
        ruled(
            "name",
            "name",
            1,
            Singular(String),
            " 1 to 64 characters.",
            &[Rule::MinLen(1), Rule::MaxLen(64)],
        ),
        ruled(
            "code",
            "code",
            2,
            Singular(String),
            "",
            &[Rule::Len(4), Rule::Pattern(&CODE_PATTERN)],
        ),
        ruled(
            "title",
            "title",
            3,
            Singular(String),
            "",
            &[
                Rule::MinBytes(1),
                Rule::MaxBytes(200),
                Rule::Prefix("a"),
                Rule::Suffix("z"),
                Rule::Contains("m"),
                Rule::NotContains("\"q\""),
            ],
        ),
        ruled("mail", "mail", 4, Singular(String), "", &[Rule::Email]),
        ruled("site", "site", 5, Singular(String), "", &[Rule::Uri]),
        ruled("uid", "uid", 6, Singular(String), "", &[Rule::Uuid]),
        ruled("addr", "addr", 7, Singular(String), "", &[Rule::Ip]),
        ruled("addr4", "addr4", 8, Singular(String), "", &[Rule::Ipv4]),
        ruled("addr6", "addr6", 9, Singular(String), "", &[Rule::Ipv6]),
        ruled(
            "color",
            "color",
            10,
            Singular(String),
            "",
            &[Rule::In(&[Value::Str("red"), Value::Str("green")])],
        ),
        ruled(
            "word",
            "word",
            11,
            Singular(String),
            "",
            &[Rule::NotIn(&[Value::Str("x")])],
        ),
        ruled(
            "age",
            "age",
            12,
            Singular(Int32),
            "",
            &[Rule::Gte(Value::Int(0)), Rule::Lt(Value::Int(150))],
        ),
        ruled(
            "id",
            "id",
            13,
            Singular(Int64),
            "",
            &[Rule::Gt(Value::Int(-5))],
        ),
        ruled(
            "count",
            "count",
            14,
            Singular(Uint32),
            "",
            &[
                Rule::Lte(Value::Int(10)),
                Rule::In(&[Value::Int(1), Value::Int(2)]),
            ],
        ),
        ruled(
            "big",
            "big",
            15,
            Singular(Uint64),
            "",
            &[Rule::NotIn(&[Value::Int(0)])],
        ),
        ruled(
            "ratio",
            "ratio",
            16,
            Singular(Double),
            "",
            &[Rule::Gt(Value::Float(0.0)), Rule::Lte(Value::Float(1.0))],
        ),
        ruled(
            "weight",
            "weight",
            17,
            Singular(Float),
            "",
            &[Rule::Gte(Value::Float(-1.5)), Rule::Lt(Value::Float(2.25))],
        ),
        ruled(
            "blob",
            "blob",
            18,
            Singular(Bytes),
            "",
            &[Rule::MinLen(1), Rule::MaxLen(16)],
        ),
        ruled("hash", "hash", 19, Singular(Bytes), "", &[Rule::Len(32)]),
        ruled(
            "limit",
            "limit",
            20,
            Optional(Int32),
            "",
            &[Rule::Required, Rule::Gte(Value::Int(1))],
        ),
        ruled(
            "child",
            "child",
            21,
            Singular(Message(child)),
            "",
            &[Rule::Required],
        ),
        ruled(
            "tags",
            "tags",
            22,
            Repeated(String),
            "",
            &[
                Rule::MinItems(1),
                Rule::MaxItems(5),
                Rule::Unique,
                Rule::Items(&[Rule::MinLen(1)]),
            ],
        ),
        ruled(
            "counts",
            "counts",
            23,
            Map(String, Int64),
            "",
            &[
                Rule::MinPairs(1),
                Rule::MaxPairs(3),
                Rule::Keys(&[Rule::MaxLen(8)]),
                Rule::Values(&[Rule::Gte(Value::Int(0))]),
            ],
        ),
        ruled(
            "contact",
            "contact",
            24,
            Oneof(contact),
            "",
            &[Rule::Required],
        ),
        ruled(
            "display_name",
            "name2",
            26,
            Singular(String),
            "",
            &[Rule::MinLen(2)],
        ),
    ],
    doc: "",
};

/// rules.v1.Rules.Check.
pub static CHECK: MethodDescriptor = MethodDescriptor {
    name: "Check",
    shape: MethodShape::Unary,
    operation: "/rules.v1.Rules/Check",
    request: rules_request,
    reply: hello_reply,
    routes: &[],
    doc: "",
};

/// rules.v1.Rules: a request whose fields have every kind of rule.
pub static RULES: ServiceDescriptor = ServiceDescriptor {
    package: "rules.v1",
    name: "Rules",
    full_name: "rules.v1.Rules",
    methods: &[&CHECK],
    doc: "",
};
