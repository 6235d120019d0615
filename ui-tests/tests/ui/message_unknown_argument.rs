// Misuse: an argument #[kratos::message] does not take.
#[kratos::message(json = "snake")]
pub struct User {
    pub id: u64,
}

fn main() {}
