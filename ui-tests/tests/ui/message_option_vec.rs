// Misuse: an optional list, which protobuf cannot express.
#[kratos::message]
pub struct User {
    pub tags: Option<Vec<String>>,
}

fn main() {}
