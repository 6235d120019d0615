// Misuse: #[route] on a free function.
#[kratos::route(get = "/x")]
fn handler() {}

fn main() {
    handler();
}
