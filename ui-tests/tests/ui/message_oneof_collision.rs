// Misuse: a field number inside the range a oneof takes (one number per alternative).
#[kratos::message]
pub enum Contact {
    Email(String),
    Phone(String),
}

#[kratos::message]
pub struct User {
    pub contact: Option<Contact>,
    #[tag(2)]
    pub name: String,
}

fn main() {}
