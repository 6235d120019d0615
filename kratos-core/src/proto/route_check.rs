//! Compile-time checks that a route's path variables and `body` field name fields
//! of the request message: `#[kratos::service]` evaluates [`route_field`] in a
//! constant per name, so a misspelt `{nmae}` stops the build with a sentence that
//! names the variable and the message, at the route that wrote it.

use crate::descriptor::FieldDescriptor;
use crate::message::Message;
use crate::method::Method;

/// The type of field number `I` (in declaration order) of a message, through
/// `Option` and `Box`: where a nested route path (`a.b`) continues. Scalar,
/// list and map fields have none.
#[diagnostic::on_unimplemented(
    message = "the route continues past a field of `{Self}` that is not a message",
    label = "a route path continues into this field",
    note = "a dotted path `a.b` in a route continues into the message in field `a`: end the path at `a`, or make `a` a `#[kratos::message]` type"
)]
pub trait FieldAt<const I: usize> {
    /// The field's message type, or its scalar type.
    type Target: ?Sized;
}

/// A type a nested route path can continue into: a message.
#[diagnostic::on_unimplemented(
    message = "the route names a field inside `{Self}`, which is not a message",
    label = "`{Self}` has no fields",
    note = "a dotted path `a.b` in a route continues into the message in field `a`: end the path at `a`, or make `a` a `#[kratos::message]` type"
)]
pub trait RouteTarget {
    /// Its fields.
    const FIELDS: &'static [FieldDescriptor];
}

impl<T: Message> RouteTarget for T {
    const FIELDS: &'static [FieldDescriptor] = T::DESCRIPTOR.fields;
}

/// The fields of method `M`'s request. Generic over the method, not the request
/// type, so that a request without `#[kratos::message]` is reported once, by the
/// method, and not again by every route check.
pub const fn request_fields<M: Method>() -> &'static [FieldDescriptor] {
    <M::Request as Message>::DESCRIPTOR.fields
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The index of the field `name` (declared or JSON name) among `fields`; stops
/// compilation with `missing` when there is none.
pub const fn route_field(fields: &[FieldDescriptor], name: &str, missing: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        if same(fields[i].name, name) || same(fields[i].json_name, name) {
            return i;
        }
        i += 1;
    }
    panic!("{}", missing)
}
