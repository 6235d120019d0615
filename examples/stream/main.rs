//! Streaming RPCs declared in the trait: `Counter` serves a server stream, a client
//! stream and a bidi stream over gRPC (:9000) and HTTP (:8000: SSE or NDJSON, and
//! WebSocket).
//!
//! ```text
//! cargo run --example stream -- -conf examples/stream/configs
//! curl -N http://127.0.0.1:8000/v1/countdown/5                                   # SSE: 5, 4, 3, 2, 1
//! curl -N -H 'Accept: application/x-ndjson' http://127.0.0.1:8000/v1/countdown/3  # {"result":{"n":3}} ...
//! curl -N http://127.0.0.1:8000/v1/countdown/15                                  # 15, 14, then an error event (13 is unlucky)
//! ```
//!
//! `sum` and `echo` are WebSockets on `/v1/sum` and `/v1/echo`: one JSON text frame
//! per message, `"\x1eend"` to half-close. `echo` fails on the message `boom`.
//! The tick interval is the config key `counter.interval` (default 100ms).

use std::time::Duration;

use kratos::Streaming;
use kratos::prelude::*;

/// The request of `Countdown`.
#[kratos::message]
pub struct CountdownRequest {
    /// Where to count down from.
    pub from: i32,
}

/// One tick of `Countdown`.
#[kratos::message]
pub struct Tick {
    /// The number counted.
    pub n: i32,
}

/// One number to `Sum`.
#[kratos::message]
pub struct Number {
    /// The number.
    pub n: i64,
}

/// The reply of `Sum`.
#[kratos::message]
pub struct Total {
    /// The sum of the numbers.
    pub sum: i64,
}

/// A message to `Echo`.
#[kratos::message]
pub struct Msg {
    /// Its text.
    pub text: String,
}

/// Counting, adding and echoing, as streams.
#[kratos::service(package = "stream.v1")]
pub trait Counter {
    /// Counts down from `from` to 1, one tick per interval.
    #[route(get = "/v1/countdown/{from}")]
    async fn countdown(&self, req: CountdownRequest) -> kratos::Result<Streaming<Tick>>;
    /// Adds the numbers sent.
    #[route(get = "/v1/sum")]
    async fn sum(&self, req: Streaming<Number>) -> kratos::Result<Total>;
    /// Answers each message with itself.
    #[route(get = "/v1/echo")]
    async fn echo(&self, req: Streaming<Msg>) -> kratos::Result<Streaming<Msg>>;
}

/// The errors of the counter.
#[kratos::error_code]
pub enum CounterError {
    /// Counting from more than 1000 is refused before the stream opens.
    #[code(400)]
    #[error("cannot count down from {from}: at most 1000")]
    TooHigh {
        /// What was asked.
        from: i32,
    },
    /// The countdown never says 13: the stream ends with this error there.
    #[code(409)]
    #[error("13 is unlucky")]
    Unlucky,
    /// `sum` past `i64::MAX`.
    #[code(400)]
    #[error("the sum overflows")]
    Overflow,
    /// `echo` was sent `boom`.
    #[code(400)]
    #[error("boom")]
    Boom,
}

/// The implementation.
pub struct CounterImpl {
    /// `counter.interval`: time between ticks.
    interval: Duration,
}

impl Counter for CounterImpl {
    async fn countdown(&self, req: CountdownRequest) -> kratos::Result<Streaming<Tick>> {
        if req.from > 1000 {
            return Err(CounterError::TooHigh { from: req.from }.into());
        }
        let (tx, ticks) = Streaming::channel(1);
        let interval = self.interval;
        tokio::spawn(async move {
            for n in (1..=req.from).rev() {
                if n == 13 {
                    let _ = tx.fail(CounterError::Unlucky).await;
                    return;
                }
                if tx.send(Tick { n }).await.is_err() {
                    return; // the client went away
                }
                if n > 1 {
                    tokio::time::sleep(interval).await;
                }
            }
        });
        Ok(ticks)
    }

    async fn sum(&self, mut req: Streaming<Number>) -> kratos::Result<Total> {
        let mut sum: i64 = 0;
        while let Some(number) = req.message().await? {
            sum = sum.checked_add(number.n).ok_or(CounterError::Overflow)?;
        }
        Ok(Total { sum })
    }

    async fn echo(&self, mut req: Streaming<Msg>) -> kratos::Result<Streaming<Msg>> {
        let (tx, replies) = Streaming::channel(1);
        tokio::spawn(async move {
            loop {
                match req.message().await {
                    Ok(Some(msg)) if msg.text == "boom" => {
                        let _ = tx.fail(CounterError::Boom).await;
                        return;
                    }
                    Ok(Some(msg)) => {
                        if tx.send(msg).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(error) => {
                        let _ = tx.fail(error).await;
                        return;
                    }
                }
            }
        });
        Ok(replies)
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let value = app.loaded_config().value("counter.interval");
    let interval = if value.exists() {
        value.duration()?
    } else {
        Duration::from_millis(100)
    };
    Ok(app
        .service(CounterServer::new(CounterImpl { interval }))
        .build())
}
