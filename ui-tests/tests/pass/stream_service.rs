// The three streaming shapes, and a streaming method taking the context, in a
// crate that depends on kratos (and tokio, serde) only: the trait, its
// implementation, the server and the generated client, which implements the trait.
use kratos::Streaming;
use kratos::prelude::*;

#[kratos::message]
pub struct CountdownRequest {
    pub from: i32,
}

#[kratos::message]
pub struct Tick {
    pub n: i32,
}

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
    /// Server streaming, from the path or a whole POST body.
    #[route(get = "/v1/countdown/{from}")]
    #[route(post = "/v1/countdown", body = "*")]
    async fn countdown(&self, req: CountdownRequest) -> kratos::Result<Streaming<Tick>>;

    /// Client streaming, over WebSocket.
    #[route(get = "/v1/sum")]
    async fn sum(&self, req: Streaming<Number>) -> kratos::Result<Total>;

    /// Bidi, over WebSocket, with the call's context.
    #[route(get = "/v1/echo")]
    async fn echo(
        &self,
        ctx: &Context,
        req: Streaming<Number>,
    ) -> kratos::Result<Streaming<Number>>;

    /// Server streaming with the context, gRPC only.
    async fn ticks(
        &self,
        ctx: &kratos::Context,
        req: CountdownRequest,
    ) -> kratos::Result<kratos::Streaming<Tick>>;
}

#[derive(Default)]
pub struct CounterImpl;

#[kratos::service]
impl Counter for CounterImpl {
    async fn countdown(&self, req: CountdownRequest) -> kratos::Result<Streaming<Tick>> {
        Ok(Streaming::iter((1..=req.from).rev().map(|n| Tick { n })))
    }

    async fn sum(&self, mut req: Streaming<Number>) -> kratos::Result<Total> {
        let mut sum = 0;
        while let Some(number) = req.message().await? {
            sum += number.n;
        }
        Ok(Total { sum })
    }

    async fn echo(
        &self,
        _ctx: &Context,
        mut req: Streaming<Number>,
    ) -> kratos::Result<Streaming<Number>> {
        let (tx, replies) = Streaming::channel(1);
        tokio::spawn(async move {
            while let Ok(Some(number)) = req.message().await {
                if tx.send(number).await.is_err() {
                    return;
                }
            }
        });
        Ok(replies)
    }

    async fn ticks(
        &self,
        _ctx: &Context,
        req: CountdownRequest,
    ) -> kratos::Result<Streaming<Tick>> {
        Ok(Streaming::once(Tick { n: req.from }))
    }
}

// The generated client is a `Counter` too: code written against the trait takes either.
async fn total(counter: &impl Counter) -> kratos::Result<i64> {
    let numbers = Streaming::iter([Number { n: 1 }, Number { n: 2 }]);
    Ok(counter.sum(numbers).await?.sum)
}

fn main() {
    let _app = App::builder().service(CounterImpl).build();
    if let Ok(client) = CounterClient::http("http://127.0.0.1:8000") {
        let _unpolled = total(&client);
    }
    let _unpolled = total(&CounterImpl);
}
