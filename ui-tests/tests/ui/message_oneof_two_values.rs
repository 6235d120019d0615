// Misuse: a oneof alternative that holds two values.
#[kratos::message]
pub enum Contact {
    Email(String),
    Phone(String, String),
}

fn main() {}
