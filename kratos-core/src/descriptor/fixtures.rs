//! Hand-built `'static` descriptors, as `#[kratos::service]` and `#[kratos::message]`
//! write them, for the export tests: a Greeter with GET, POST, PATCH and DELETE
//! routes and a gRPC-only method, a message that uses every kind of field, a packaged
//! message shared by two services, and the well-known Timestamp and Duration.
//!
//! Shared by the unit tests (as `crate::descriptor::fixtures`) and by
//! `tests/proto_export.rs` (through `#[path]`): names are reached through `super`,
//! which is the descriptor module in one and the test crate's root in the other.

// Shared with tests/proto_export.rs, where the items are the test crate's own.
#![allow(unreachable_pub)]

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
    FieldDescriptor {
        name,
        json_name,
        number,
        kind,
        doc,
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
