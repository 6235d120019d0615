// Misuse: a field number above protobuf's maximum (2^29 - 1).
#[kratos::message]
pub struct User {
    #[tag(536870912)]
    pub id: u64,
}

fn main() {}
