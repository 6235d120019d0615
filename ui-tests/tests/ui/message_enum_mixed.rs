// Misuse: an enum whose variants mix values with data (neither a proto enum nor a oneof).
#[kratos::message]
pub enum Shape {
    Nothing,
    Name(String),
}

fn main() {}
