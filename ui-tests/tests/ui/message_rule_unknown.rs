// Misuse: a rule that does not exist.
#[kratos::message]
pub struct User {
    #[rule(lenght(1..=64))]
    pub name: String,
}

fn main() {}
