// Misuse: a nested message not wrapped in Option.
#[kratos::message]
pub struct Inner {
    pub id: u64,
}

#[kratos::message]
pub struct Outer {
    pub inner: Inner,
}

fn main() {}
