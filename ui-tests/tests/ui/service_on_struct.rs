// Misuse: #[kratos::service] on a struct.
#[kratos::service(package = "helloworld.v1")]
pub struct Greeter;

fn main() {}
