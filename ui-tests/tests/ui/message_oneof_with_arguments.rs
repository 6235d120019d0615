// Misuse: a package on a oneof, which lives inside the messages that hold it.
#[kratos::message(package = "people.v1")]
pub enum Contact {
    Email(String),
    Phone(String),
}

fn main() {}
