// Misuse: a field type protobuf cannot express.
#[kratos::message]
pub struct Page {
    pub size: usize,
}

fn main() {}
