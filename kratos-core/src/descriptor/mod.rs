//! Static descriptions of services, methods and HTTP routes, written by
//! `#[kratos::service]` as `'static` data and read by the transports to build
//! their route tables; and of the messages they carry ([`message`]), for the
//! `.proto` export, reflection and OpenAPI. Each of those three forms is a cargo
//! feature of this crate: `proto-export`, `descriptor-set` and `openapi`.

#[cfg(any(feature = "openapi", feature = "proto-export"))]
mod field_path;
#[cfg(feature = "descriptor-set")]
pub mod file_set;
#[cfg(test)]
// Shared by the tests of every form: with some forms left out, some go unused.
#[cfg_attr(
    not(all(
        feature = "openapi",
        feature = "proto-export",
        feature = "descriptor-set"
    )),
    allow(dead_code)
)]
mod fixtures;
// The fixtures name the rule types through `super`, as tests/proto_export.rs does.
#[cfg(test)]
use crate::field_rules;
#[cfg(any(
    feature = "openapi",
    feature = "proto-export",
    feature = "descriptor-set"
))]
// OpenAPI reads only its names; the plan of files goes unused without the `.proto` text.
#[cfg_attr(not(feature = "proto-export"), allow(dead_code))]
mod layout;
pub mod message;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "proto-export")]
pub mod proto_text;

pub use message::{
    EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FieldKind, FieldType, MessageDescriptor,
    OneofDescriptor,
};

/// An HTTP verb a route binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The verb as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// Where a route's request body goes (google.api.http `body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteBody {
    /// No body: every field not bound by the path comes from the query string.
    None,
    /// `body = "*"`: the body is the whole message.
    All,
    /// `body = "field"`: the body is that field (by its JSON name); the rest comes from the query string.
    Field(&'static str),
}

/// One HTTP binding of a method.
#[derive(Debug)]
pub struct RouteDescriptor {
    /// The verb.
    pub method: HttpMethod,
    /// The path template, e.g. `/helloworld/{name}`.
    pub path: &'static str,
    /// The field paths of the template's variables, in order, by JSON name (`name`, `user.id`, `userId`).
    pub params: &'static [&'static str],
    /// Where the body goes.
    pub body: RouteBody,
    /// The status of a successful reply (200 unless the route says otherwise).
    pub status: u16,
    /// The route's own body limit in bytes (`max_body = "64MiB"`), in place of the server's.
    pub max_body: Option<usize>,
}

/// How many messages each side of an RPC sends: the four shapes of gRPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MethodShape {
    /// One request, one reply.
    Unary,
    /// One request, a stream of replies.
    ServerStreaming,
    /// A stream of requests, one reply.
    ClientStreaming,
    /// A stream each way.
    Bidi,
}

impl MethodShape {
    /// Whether the client sends a stream (`rpc M(stream Req)`).
    pub const fn client_streams(self) -> bool {
        matches!(self, Self::ClientStreaming | Self::Bidi)
    }

    /// Whether the server sends a stream (`returns (stream Reply)`).
    pub const fn server_streams(self) -> bool {
        matches!(self, Self::ServerStreaming | Self::Bidi)
    }
}

/// One RPC of a service.
#[derive(Debug)]
pub struct MethodDescriptor {
    /// The method name in UpperCamel case, e.g. `SayHello`.
    pub name: &'static str,
    /// Unary or which side streams.
    pub shape: MethodShape,
    /// `/{package}.{Service}/{Method}`: the gRPC path and the operation name on both transports.
    pub operation: &'static str,
    /// The request message.
    pub request: fn() -> &'static MessageDescriptor,
    /// The reply message.
    pub reply: fn() -> &'static MessageDescriptor,
    /// The HTTP bindings; empty for a gRPC-only method.
    pub routes: &'static [RouteDescriptor],
    /// The doc comment of the trait method.
    pub doc: &'static str,
}

/// A service: its proto package, its name and its methods.
#[derive(Debug)]
pub struct ServiceDescriptor {
    /// The proto package, e.g. `helloworld.v1`.
    pub package: &'static str,
    /// The service name, e.g. `Greeter`.
    pub name: &'static str,
    /// `{package}.{name}`, the gRPC service name.
    pub full_name: &'static str,
    /// The methods in declaration order.
    pub methods: &'static [&'static MethodDescriptor],
    /// The doc comment of the trait.
    pub doc: &'static str,
}
