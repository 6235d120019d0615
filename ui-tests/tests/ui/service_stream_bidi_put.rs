// Misuse: a bidi method bound to PUT: WebSocket opens with GET.
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
    #[route(put = "/v1/echo")]
    async fn echo(&self, req: Streaming<Number>) -> kratos::Result<Streaming<Number>>;
}

fn main() {}
