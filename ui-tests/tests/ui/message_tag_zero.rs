// Misuse: a field number of 0.
#[kratos::message]
pub struct User {
    #[tag(0)]
    pub id: u64,
}

fn main() {}
