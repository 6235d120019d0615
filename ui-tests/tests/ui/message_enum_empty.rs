// Misuse: a proto enum without values.
#[kratos::message]
pub enum Status {}

fn main() {}
