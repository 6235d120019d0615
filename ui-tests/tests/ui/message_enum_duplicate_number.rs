// Misuse: two values of a proto enum with the same number.
#[kratos::message]
pub enum Status {
    Unspecified,
    Active = 3,
    Enabled = 3,
}

fn main() {}
