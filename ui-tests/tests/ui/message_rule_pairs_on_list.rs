// Misuse: a map rule on a repeated field.
#[kratos::message]
pub struct User {
    #[rule(max_pairs = 4)]
    pub tags: Vec<String>,
}

fn main() {}
