// Misuse: a repeated-field rule on a single value.
#[kratos::message]
pub struct User {
    #[rule(min_items = 1)]
    pub name: String,
}

fn main() {}
