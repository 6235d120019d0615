// Misuse: a numeric range rule on a string field.
#[kratos::message]
pub struct User {
    #[rule(gt = 1)]
    pub name: String,
}

fn main() {}
