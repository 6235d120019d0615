// Misuse: a reply stream written as `impl Iterator` instead of `kratos::Streaming<T>`.
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
    #[route(get = "/v1/count/{n}")]
    async fn count(&self, req: Number) -> kratos::Result<impl Iterator<Item = Total> + Send>;
}

fn main() {}
