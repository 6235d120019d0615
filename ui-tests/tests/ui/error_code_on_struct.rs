// Misuse: #[error_code] on a struct.
#[kratos::error_code]
pub struct UserError {
    pub code: i32,
}

fn main() {}
