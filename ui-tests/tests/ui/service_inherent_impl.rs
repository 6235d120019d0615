// Misuse: #[kratos::service] on an impl without a trait.
#[derive(Default)]
pub struct GreeterImpl;

#[kratos::service]
impl GreeterImpl {
    pub fn hello(&self) {}
}

fn main() {}
