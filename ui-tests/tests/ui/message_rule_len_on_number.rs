// Misuse: a string length rule on an integer field.
#[kratos::message]
pub struct Page {
    #[rule(len(1..=64))]
    pub size: i32,
}

fn main() {}
