// Misuse: a field of a type that is not a message, enum or scalar.
pub struct Plain {
    pub id: u64,
}

#[kratos::message]
pub struct User {
    pub plain: Option<Plain>,
}

fn main() {}
