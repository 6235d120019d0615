// Misuse: two rules that set the same protovalidate value (one format per field,
// one lower bound, one `min_len`), which the exported `.proto` could not hold.
#[kratos::message]
pub struct User {
    #[rule(email, uuid)]
    pub email: String,
    #[rule(gt = 0, gte = 1)]
    pub age: i32,
    #[rule(len(1..=64), min_len = 3)]
    pub name: String,
    #[rule(items(prefix = "a", prefix = "b"))]
    pub tags: Vec<String>,
}

fn main() {}
