//! Static descriptions of messages, enums and oneofs, written by `#[kratos::message]`
//! and read by the `.proto` export, gRPC reflection and OpenAPI.
//!
//! Nested types are referenced through `fn` pointers so a message may contain
//! itself (`Option<Box<Node>>`) without a cycle in constant evaluation.

use crate::field_rules::Rule;

/// A protobuf message: its name, its package if it names one, and its fields.
#[derive(Debug)]
pub struct MessageDescriptor {
    /// The message name, e.g. `HelloRequest`.
    pub name: &'static str,
    /// The proto package given with `#[kratos::message(package = "...")]`; `None`
    /// places the message in the package of each service that uses it.
    pub package: Option<&'static str>,
    /// The fields in declaration order.
    pub fields: &'static [FieldDescriptor],
    /// The doc comment of the struct, for the `.proto` and OpenAPI.
    pub doc: &'static str,
}

/// One field of a message.
#[derive(Debug)]
pub struct FieldDescriptor {
    /// The declared (snake_case) name, as in the `.proto`.
    pub name: &'static str,
    /// The protobuf JSON name (lowerCamel).
    pub json_name: &'static str,
    /// The field number; for a oneof, the number of its first variant.
    pub number: u32,
    /// Its type and cardinality.
    pub kind: FieldKind,
    /// The doc comment of the field.
    pub doc: &'static str,
    /// Its `#[rule(..)]` rules: what the transports check on a request, and what
    /// the `.proto` export writes as protovalidate options. Empty without rules.
    pub rules: &'static [Rule],
}

/// A field's cardinality and type.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FieldKind {
    /// A proto3 field without presence (`string name = 1;`), or a message field.
    Singular(FieldType),
    /// A proto3 `optional` field (`Option<scalar>`).
    Optional(FieldType),
    /// `repeated` (`Vec<T>`).
    Repeated(FieldType),
    /// `map<K, V>` (`HashMap<K, V>`).
    Map(FieldType, FieldType),
    /// A `oneof` (`Option<E>` of a `#[kratos::message]` enum with data).
    Oneof(fn() -> &'static OneofDescriptor),
}

/// The type of a field, map key or map value.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FieldType {
    /// `double` (`f64`).
    Double,
    /// `float` (`f32`).
    Float,
    /// `int32` (`i32`).
    Int32,
    /// `int64` (`i64`).
    Int64,
    /// `uint32` (`u32`).
    Uint32,
    /// `uint64` (`u64`).
    Uint64,
    /// `bool`.
    Bool,
    /// `string` (`String`).
    String,
    /// `bytes` (`Vec<u8>`).
    Bytes,
    /// A message type (a `#[kratos::message]` struct or a well-known type).
    Message(fn() -> &'static MessageDescriptor),
    /// An enum type (a fieldless `#[kratos::message]` enum).
    Enum(fn() -> &'static EnumDescriptor),
}

impl FieldType {
    /// The scalar's name in a `.proto` file, `None` for a message or enum.
    pub fn scalar_name(self) -> Option<&'static str> {
        Some(match self {
            FieldType::Double => "double",
            FieldType::Float => "float",
            FieldType::Int32 => "int32",
            FieldType::Int64 => "int64",
            FieldType::Uint32 => "uint32",
            FieldType::Uint64 => "uint64",
            FieldType::Bool => "bool",
            FieldType::String => "string",
            FieldType::Bytes => "bytes",
            FieldType::Message(_) | FieldType::Enum(_) => return None,
        })
    }
}

/// A proto enum: a fieldless `#[kratos::message]` enum.
#[derive(Debug)]
pub struct EnumDescriptor {
    /// The enum name, e.g. `Status`.
    pub name: &'static str,
    /// The proto package, as for [`MessageDescriptor::package`].
    pub package: Option<&'static str>,
    /// The values: proto name (`STATUS_ACTIVE`) and number; the first is 0.
    pub values: &'static [EnumValueDescriptor],
    /// The doc comment of the enum.
    pub doc: &'static str,
}

/// One value of a proto enum.
#[derive(Debug)]
pub struct EnumValueDescriptor {
    /// The proto (and JSON) name, `{ENUM}_{VARIANT}` in SCREAMING_SNAKE_CASE.
    pub name: &'static str,
    /// The number.
    pub number: i32,
    /// The doc comment of the variant.
    pub doc: &'static str,
}

/// A `oneof`: an enum with data whose variants are the alternatives.
#[derive(Debug)]
pub struct OneofDescriptor {
    /// The oneof's name in the `.proto` (the Rust enum's name in snake_case).
    pub name: &'static str,
    /// The alternatives in declaration order; a variant's `number` is its offset
    /// from the number of the field that holds the oneof (0, 1, ...), since one
    /// oneof type may sit at different numbers in different messages.
    pub variants: &'static [FieldDescriptor],
}

impl OneofDescriptor {
    /// The alternatives with their wire numbers, for a oneof held at field number `first`.
    pub fn numbered(&self, first: u32) -> impl Iterator<Item = FieldDescriptor> + '_ {
        self.variants.iter().map(move |v| FieldDescriptor {
            name: v.name,
            json_name: v.json_name,
            number: first + v.number,
            kind: v.kind,
            doc: v.doc,
            rules: v.rules,
        })
    }
}

/// Where the descriptors of the protobuf well-known types live.
pub const WELL_KNOWN_PACKAGE: &str = "google.protobuf";
