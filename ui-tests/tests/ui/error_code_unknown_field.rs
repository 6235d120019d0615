// Misuse: #[error] naming a field that does not exist.
#[kratos::error_code]
pub enum UserError {
    #[code(404)]
    #[error("user not found: {nmae}")]
    UserNotFound { name: String },
}

fn main() {}
