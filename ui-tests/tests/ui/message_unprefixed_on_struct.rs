// Misuse: `unprefixed` (how an enum's values are named) on a message struct.
#[kratos::message(unprefixed)]
pub struct HelloRequest {
    pub name: String,
}

fn main() {}
