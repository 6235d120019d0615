// Misuse: #[kratos::message] on an enum.
#[kratos::message]
pub enum Color {
    Red,
}

fn main() {}
