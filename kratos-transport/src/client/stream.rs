//! A client's streaming calls: the middlewares run once per stream, around all of
//! it, as on the server. They see the opening (an error there is theirs to see and
//! the caller's to get), and at the end the stream's error, or a [`StreamSummary`]
//! with the messages sent and received. With middlewares, the chain runs in a task
//! of its own that forwards the replies to the caller through a bounded channel; a
//! caller that drops its stream ends that task and the call.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kratos_core::app::BoxFuture;
use kratos_core::middleware::{Endpoint, Next, Reply, Request};
use kratos_core::stream::{StreamSender, StreamSummary, Streaming};
use kratos_core::{Context, Error, Method};
use tokio::sync::{Mutex, oneshot};

use super::{Client, Transport};
use crate::stream::Counted;

/// Replies forwarded to the caller but not yet read.
const BUFFER: usize = 16;

impl Client {
    /// Opens a streaming call of method `M` (any shape); the timeout (or the
    /// caller's deadline) bounds the opening, not the stream. `caller` is handed on
    /// as for [`Client::unary`].
    pub async fn stream<M: Method>(
        &self,
        caller: Option<&Context>,
        requests: Streaming<M::Request>,
    ) -> Result<Streaming<M::Reply>, Error> {
        let mut ctx = self.context::<M>(caller);
        if self.chain.is_empty() {
            let timeout = opening_time(&ctx, self.timeout);
            return self.open::<M>(&mut ctx, requests, timeout).await;
        }
        let (opened, open) = oneshot::channel();
        let (replies, to_caller) = Streaming::channel(BUFFER);
        let client = self.clone();
        tokio::spawn(async move {
            let endpoint = StreamOutbound::<M> {
                client: &client,
                opened: Mutex::new(Some(opened)),
                replies,
                method: PhantomData,
            };
            let result = Next::new(client.chain.as_slice(), &[], &[], &endpoint)
                .run(&mut ctx, Request::new(requests))
                .await;
            // A chain that failed before the stream opened: the caller gets the error.
            if let Some(opened) = endpoint.opened.lock().await.take() {
                let _ = opened.send(result.map(drop));
            }
        });
        match open.await {
            Ok(Ok(())) => Ok(to_caller),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(Error::internal_server(
                "",
                "the stream's call ended before it opened",
            )),
        }
    }

    async fn open<M: Method>(
        &self,
        ctx: &mut Context,
        requests: Streaming<M::Request>,
        timeout: Duration,
    ) -> Result<Streaming<M::Reply>, Error> {
        match &self.transport {
            Transport::Http(c) => c.open_stream::<M>(ctx, requests, timeout).await,
            Transport::Grpc(c) => c.open_stream::<M>(ctx, requests, timeout).await,
            Transport::Balanced(b) => b.open_stream::<M>(ctx, requests, timeout).await,
        }
    }
}

/// What is left of the call's deadline for opening the stream.
fn opening_time(ctx: &Context, timeout: Duration) -> Duration {
    ctx.deadline().map_or(timeout, |deadline| {
        deadline.saturating_duration_since(Instant::now())
    })
}

/// The innermost step of a client chain around a stream: opens it, tells the
/// caller, then forwards the replies until the end.
struct StreamOutbound<'c, M: Method> {
    client: &'c Client,
    /// Taken when the stream opens (or fails to).
    opened: Mutex<Option<oneshot::Sender<Result<(), Error>>>>,
    replies: StreamSender<M::Reply>,
    method: PhantomData<fn() -> M>,
}

impl<M: Method> Endpoint for StreamOutbound<'_, M> {
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let requests = req.take::<Streaming<M::Request>>(M::DESCRIPTOR.operation)?;
            let sent = Arc::new(AtomicU64::new(0));
            let counted = Streaming::new(Counted {
                inner: requests,
                count: sent.clone(),
            });
            let timeout = opening_time(ctx, self.client.timeout);
            let mut replies = self.client.open::<M>(ctx, counted, timeout).await?;
            if let Some(opened) = self.opened.lock().await.take() {
                let _ = opened.send(Ok(()));
            }
            let mut received = 0;
            loop {
                let next = tokio::select! {
                    biased;
                    _ = self.replies.closed() => {
                        return Err(Error::client_closed("", "the caller dropped the stream"));
                    }
                    next = replies.message() => next,
                };
                match next {
                    Ok(Some(reply)) => {
                        if self.replies.send(reply).await.is_err() {
                            return Err(Error::client_closed("", "the caller dropped the stream"));
                        }
                        received += 1;
                    }
                    Ok(None) => break,
                    Err(error) => {
                        let _ = self.replies.fail(error.clone()).await;
                        return Err(error);
                    }
                }
            }
            Ok(Reply::new(StreamSummary::new(
                received,
                sent.load(Ordering::Relaxed),
            )))
        })
    }
}
