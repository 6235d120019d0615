// Misuse: a stream of a struct without #[kratos::message]; one error says to add it.
use kratos::Streaming;

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
    async fn sum(&self, req: Streaming<Number>) -> kratos::Result<Total>;
}

fn main() {}
