// Misuse: a proto enum whose first value is not 0.
#[kratos::message]
pub enum Status {
    Active = 1,
    Inactive = 2,
}

fn main() {}
