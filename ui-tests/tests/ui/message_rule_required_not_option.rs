// Misuse: `required` on a field that is always set.
#[kratos::message]
pub struct User {
    #[rule(required)]
    pub name: String,
}

fn main() {}
