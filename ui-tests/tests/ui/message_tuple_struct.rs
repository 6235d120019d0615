// Misuse: #[kratos::message] on a tuple struct.
#[kratos::message]
pub struct Pair(pub String, pub String);

fn main() {}
