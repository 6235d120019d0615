//! The Rust an import writes, as data: one [`Package`] per proto package, holding
//! messages, enums, oneofs, error enums and service traits with every name, number,
//! type and attribute already decided. `map` builds it from descriptors, `render`
//! prints it.

/// One proto package: one Rust module file.
#[derive(Debug, Default)]
pub struct Package {
    /// The proto package (`helloworld.v1`).
    pub name: String,
    /// The module (`helloworld_v1`).
    pub module: String,
    /// The `.proto` files it comes from, for the header.
    pub files: Vec<String>,
    /// Its items, in the order of the files.
    pub items: Vec<Item>,
}

/// One Rust item of a package.
#[derive(Debug)]
pub enum Item {
    Message(Message),
    Enum(Enum),
    Oneof(Oneof),
    Errors(ErrorEnum),
    Service(Service),
}

/// A `#[kratos::message]` struct.
#[derive(Debug)]
pub struct Message {
    pub doc: String,
    /// The Rust identifier, also the proto name.
    pub name: String,
    pub fields: Vec<Field>,
}

/// One struct field.
#[derive(Debug)]
pub struct Field {
    pub doc: String,
    pub ident: String,
    /// The Rust type, as written.
    pub ty: String,
    pub number: u32,
    /// The inside of `#[rule(..)]`, if any rule maps.
    pub rules: Vec<String>,
}

/// A fieldless `#[kratos::message]` enum: a proto enum.
#[derive(Debug)]
pub struct Enum {
    pub doc: String,
    pub name: String,
    /// Whether the values are named without the enum's prefix (`RED`).
    pub unprefixed: bool,
    /// (variant, number, doc).
    pub values: Vec<(String, i32, String)>,
}

/// A `#[kratos::message]` enum with one value per variant: a oneof.
#[derive(Debug)]
pub struct Oneof {
    pub doc: String,
    pub name: String,
    /// (variant, type, doc).
    pub variants: Vec<(String, String, String)>,
}

/// A `#[kratos::error_code]` enum, from a Go kratos errors enum.
#[derive(Debug)]
pub struct ErrorEnum {
    pub doc: String,
    pub name: String,
    /// `(errors.default_code)`.
    pub default: Option<i32>,
    pub values: Vec<ErrorValue>,
}

/// One error enum value.
#[derive(Debug)]
pub struct ErrorValue {
    pub doc: String,
    pub variant: String,
    /// `(errors.code)`.
    pub code: Option<i32>,
    /// The proto value name, when the variant's derived reason differs from it.
    pub reason: Option<String>,
}

/// A `#[kratos::service]` trait.
#[derive(Debug)]
pub struct Service {
    /// The `.proto` file that declares it.
    pub file: String,
    pub doc: String,
    pub name: String,
    pub methods: Vec<Method>,
}

/// One trait method.
#[derive(Debug)]
pub struct Method {
    pub doc: String,
    /// The proto name (`SayHello`).
    pub proto_name: String,
    /// The Rust name (`say_hello`).
    pub ident: String,
    /// The request type, as the API module names it.
    pub request: String,
    pub reply: String,
    pub client_streams: bool,
    pub server_streams: bool,
    /// The inside of each `#[route(..)]`.
    pub routes: Vec<String>,
}
