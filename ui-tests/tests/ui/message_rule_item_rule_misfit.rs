// Misuse: an item rule that does not fit the items' type.
#[kratos::message]
pub struct Scores {
    #[rule(items(pattern = "^[0-9]+$"))]
    pub values: Vec<i64>,
}

fn main() {}
