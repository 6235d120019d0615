// Misuse: a stream of requests inside an Option.
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
    async fn sum(&self, req: Option<Streaming<Number>>) -> kratos::Result<Total>;
}

fn main() {}
