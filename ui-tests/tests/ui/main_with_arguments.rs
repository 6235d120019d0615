// Misuse: arguments to #[kratos::main].
#[kratos::main(port = 8000)]
async fn main() {}
