// Misuse: a pattern that is not a valid regular expression.
#[kratos::message]
pub struct User {
    #[rule(pattern = "^[a-z+$")]
    pub name: String,
}

fn main() {}
