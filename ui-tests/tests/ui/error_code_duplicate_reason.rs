// Misuse: two variants with one reason.
#[kratos::error_code]
pub enum UserError {
    #[code(404)]
    UserNotFound,
    #[code(400, reason = "USER_NOT_FOUND")]
    NoSuchUser,
}

fn main() {}
