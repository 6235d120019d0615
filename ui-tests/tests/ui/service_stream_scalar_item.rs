// Misuse: a stream of scalars: each item of a stream is a message.
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
    #[route(get = "/v1/sum")]
    async fn sum(&self, req: Streaming<i64>) -> kratos::Result<Total>;
}

fn main() {}
