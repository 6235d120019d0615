// Misuse: a #[code] outside 100..=599.
#[kratos::error_code]
pub enum UserError {
    #[code(700)]
    UserNotFound,
}

fn main() {}
