// Misuse: a request stream written as a boxed iterator instead of `kratos::Streaming<T>`.
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
    async fn sum(&self, req: Box<dyn Iterator<Item = Number> + Send>) -> kratos::Result<Total>;
}

fn main() {}
