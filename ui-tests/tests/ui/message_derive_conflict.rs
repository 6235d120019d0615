// Misuse: deriving what #[kratos::message] already implements.
#[kratos::message]
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
}

fn main() {}
