// Misuse: a client-streaming method bound to POST: WebSocket opens with GET.
use kratos::Streaming;

#[kratos::message]
pub struct Number {
    pub n: i64,
}

#[kratos::message]
pub struct Total {
    pub sum: i64,
}

#[kratos::service(package = "stream.v1")]
pub trait Counter {
    #[route(post = "/v1/sum", body = "*")]
    async fn sum(&self, req: Streaming<Number>) -> kratos::Result<Total>;
}

fn main() {}
