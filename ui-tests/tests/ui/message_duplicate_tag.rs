// Misuse: two fields with one tag.
#[kratos::message]
pub struct User {
    #[tag(1)]
    pub id: u64,
    #[tag(1)]
    pub name: String,
}

fn main() {}
