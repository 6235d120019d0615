// Misuse: a server-streaming route binding one field as its body.
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
    #[route(post = "/v1/count", body = "n")]
    async fn count(&self, req: Number) -> kratos::Result<Streaming<Total>>;
}

fn main() {}
