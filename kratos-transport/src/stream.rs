//! Streaming calls on the server, the same for both transports.
//!
//! A transport hands [`open`] the decoded request (one message for a
//! server-streaming method, the incoming stream otherwise). The call runs in a task
//! of its own: the middlewares run once, around the whole stream, so a middleware
//! sees the stream open (its request) and end (its result, and a [`StreamSummary`]
//! reply with the message counts); inside them the handler is called and its
//! replies are pumped into a bounded channel the transport writes from. The
//! transport gets [`Opened`] once the stream is open, or the error that ended the
//! call before that: a server stream opens when the handler has returned it (its
//! reply headers are final then), a stream of requests as soon as the middlewares
//! let it through, since the handler reads it as it arrives.
//!
//! Timeouts: the server timeout bounds the opening of a server-streaming call (the
//! handler returning its stream), not the stream's life. `stream_idle_timeout` (off by default) ends
//! a stream whose next message, either way, takes longer: 504 `STREAM_IDLE`
//! (gRPC `DEADLINE_EXCEEDED`). A server that stops ends its streams normally; a
//! peer that goes away ends the handler's stream at once (it is dropped).

use std::future::Future as _;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_core::Stream;
use http::HeaderMap;
use kratos_core::app::BoxFuture;
use kratos_core::error::{PANIC_MESSAGE, REASON_UNKNOWN};
use kratos_core::metadata::{Incoming, with_incoming};
use kratos_core::middleware::recovery::catch;
use kratos_core::middleware::{Endpoint, Next, Reply, Request};
use kratos_core::stream::{StreamHandler, StreamSummary, Streaming};
use kratos_core::{Context, Error, Method};
use tokio::sync::mpsc;

use crate::deadline::server_timeout;
use crate::invoke::log_failure;
use crate::state::{ServiceChain, StreamState};

/// Messages waiting between the handler's stream and the transport's writer: the
/// handler's stream is polled only while there is room, so a slow reader slows it.
const EVENTS: usize = 16;

/// What the call task tells the transport, in order: `Open`, `Item`s, then `End`.
enum Event<R> {
    Open(HeaderMap),
    Item(R),
    End(Result<(), Error>),
}

/// The request of a streaming call, as the transport decoded it.
pub(crate) enum Input<Q> {
    /// The one request of a server-streaming call: middlewares see (and validate) it.
    One(Q),
    /// The incoming messages of a client-streaming or bidi call.
    Many(Streaming<Q>),
}

/// A stream the handler opened: the reply headers, then its messages.
pub(crate) struct Opened<R> {
    /// Reply headers the handler and middlewares set before the stream opened.
    pub(crate) headers: HeaderMap,
    /// The replies, then `Err` if the stream ended with an error.
    pub(crate) replies: Replies<R>,
}

/// The replies of an opened stream: `Ok` messages, then at most one `Err` that
/// ends it. Dropping it cancels the call.
pub(crate) struct Replies<R>(mpsc::Receiver<Event<R>>);

impl<R> Stream for Replies<R> {
    type Item = Result<R, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        match self.0.poll_recv(cx) {
            Poll::Ready(Some(Event::Item(reply))) => Poll::Ready(Some(Ok(reply))),
            Poll::Ready(Some(Event::End(Err(error)))) => {
                self.0.close();
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(Some(Event::End(Ok(())) | Event::Open(_)) | None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Starts the call of streaming method `M` on `service`; see the [module](self).
/// `open_timeout` bounds a server stream's opening: the server timeout, or the
/// caller's shorter one.
pub(crate) async fn open<M, S>(
    service: Arc<S>,
    chain: ServiceChain,
    ctx: Context,
    input: Input<M::Request>,
    open_timeout: Duration,
) -> Result<Opened<M::Reply>, Error>
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    let (events, mut rx) = mpsc::channel(EVENTS);
    tokio::spawn(run::<M, S>(
        service,
        chain,
        ctx,
        input,
        open_timeout,
        events,
    ));
    match rx.recv().await {
        Some(Event::Open(headers)) => Ok(Opened {
            headers,
            replies: Replies(rx),
        }),
        Some(Event::End(Err(error))) => Err(error),
        // A middleware answered without calling the handler: an empty stream.
        Some(Event::End(Ok(()))) | Some(Event::Item(_)) | None => Ok(Opened {
            headers: HeaderMap::new(),
            replies: Replies(rx),
        }),
    }
}

/// The call task: the chain around the handler and the pump, then the end.
async fn run<M, S>(
    service: Arc<S>,
    chain: ServiceChain,
    mut ctx: Context,
    input: Input<M::Request>,
    open_timeout: Duration,
    events: mpsc::Sender<Event<M::Reply>>,
) where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    let server = &chain.server;
    let endpoint = StreamEndpoint::<M, S> {
        service: &service,
        events: &events,
        open_timeout,
        stream: &server.stream,
        method: PhantomData,
    };
    let request = match input {
        Input::One(request) => Request::message(request).with_validator(M::validator()),
        Input::Many(requests) => Request::new(requests),
    };
    let call = Next::new(
        server.chain.as_slice(),
        chain.chain.as_slice(),
        M::MIDDLEWARE,
        &endpoint,
    )
    .run(&mut ctx, request);
    // No deadline is handed on: a stream lives as long as its peers keep it.
    let incoming = Incoming {
        metadata: None,
        deadline: None,
    };
    let result = match catch(with_incoming(incoming, call)).await {
        Ok(result) => result.map(drop),
        Err(panic) => Err(Error::internal_server(REASON_UNKNOWN, PANIC_MESSAGE).with_cause(panic)),
    };
    if let Err(error) = &result {
        log_failure(&ctx, error, "stream failed");
    }
    let _ = events.send(Event::End(result)).await;
}

/// The innermost step of a streaming call's chain: opens the handler's stream and
/// pumps it to the transport; answers a [`StreamSummary`] at its end.
struct StreamEndpoint<'s, M: Method, S> {
    service: &'s S,
    events: &'s mpsc::Sender<Event<M::Reply>>,
    open_timeout: Duration,
    stream: &'s StreamState,
    method: PhantomData<fn() -> M>,
}

impl<M, S> Endpoint for StreamEndpoint<'_, M, S>
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let operation = M::DESCRIPTOR.operation;
            let requests = match req.downcast::<M::Request>() {
                Ok(one) => {
                    kratos_core::field_rules::check(&one)?;
                    Streaming::once(one)
                }
                Err(req) => {
                    kratos_core::field_rules::checked(req.take::<Streaming<M::Request>>(operation)?)
                }
            };
            let received = Arc::new(AtomicU64::new(0));
            let requests = Streaming::new(Counted {
                inner: Idle::new(requests, self.stream.idle_timeout),
                count: received.clone(),
            });
            // A stream of requests opens once the middlewares let it through: the
            // handler reads it as it arrives (a WebSocket upgrades then, so a
            // middleware's refusal is still an HTTP answer). A server stream opens
            // when the handler returns it, within the server timeout.
            let client_streams = M::DESCRIPTOR.shape.client_streams();
            if client_streams {
                self.open(ctx).await?;
            }
            let call = M::call(self.service, ctx, requests);
            let replies = if client_streams {
                call.await?
            } else {
                let replies = match tokio::time::timeout(self.open_timeout, call).await {
                    Ok(replies) => replies?,
                    Err(_) => return Err(server_timeout(self.open_timeout)),
                };
                self.open(ctx).await?;
                replies
            };
            let sent = self.pump(replies).await?;
            Ok(Reply::new(StreamSummary::new(
                received.load(Ordering::Relaxed),
                sent,
            )))
        })
    }
}

impl<M: Method, S> StreamEndpoint<'_, M, S> {
    /// Tells the transport the stream is open, with the reply headers set so far.
    async fn open(&self, ctx: &mut Context) -> Result<(), Error> {
        self.events
            .send(Event::Open(ctx.take_reply_headers()))
            .await
            .map_err(|_| cancelled())
    }

    /// Moves the handler's replies to the transport until the stream ends, the peer
    /// goes away or the server stops; the number of messages sent.
    async fn pump(&self, replies: Streaming<M::Reply>) -> Result<u64, Error> {
        let mut replies = Idle::new(replies, self.stream.idle_timeout);
        // The two watchers are armed once for the whole stream: re-creating them per
        // message took a lock each to register and drop a waiter (a fifth of the
        // server's time on a fast stream, bench/RESULTS.md).
        let mut closed = std::pin::pin!(self.events.closed());
        let mut watching = self.stream.stopping.clone();
        let mut stop = std::pin::pin!(watching.wait_for(|stop| *stop));
        // A stream that is always ready never lets the stop watcher be polled: a
        // version check per message (an atomic load) sees the stop instead.
        let mut stopping = self.stream.stopping.clone();
        let mut sent = 0;
        loop {
            let next = std::future::poll_fn(|cx| {
                if let Poll::Ready(next) = Pin::new(&mut replies).poll_next(cx) {
                    return Poll::Ready(Pump::Next(next));
                }
                if closed.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Pump::Gone);
                }
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Pump::Stop);
                }
                Poll::Pending
            })
            .await;
            let reply = match next {
                Pump::Next(Some(Ok(reply))) => reply,
                Pump::Next(Some(Err(error))) => return Err(error),
                Pump::Next(None) | Pump::Stop => return Ok(sent),
                Pump::Gone => return Err(cancelled()),
            };
            // Room in the channel is the common case: no future to build for it.
            match self.events.try_send(Event::Item(reply)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(event)) => {
                    if self.events.send(event).await.is_err() {
                        return Err(cancelled());
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return Err(cancelled()),
            }
            sent += 1;
            if stopping.has_changed().unwrap_or(false) && *stopping.borrow_and_update() {
                return Ok(sent);
            }
        }
    }
}

/// What the pump found next.
enum Pump<T> {
    /// The handler's next reply, its error, or its end.
    Next(Option<Result<T, Error>>),
    /// The transport's reader is gone.
    Gone,
    /// The server stops.
    Stop,
}

/// The end of a stream whose peer went away; recorded by middlewares, sent to no one.
fn cancelled() -> Error {
    Error::client_closed("", "the peer cancelled the stream")
}

/// Counts the messages that pass (for a [`StreamSummary`]), on servers and clients.
pub(crate) struct Counted<S> {
    pub(crate) inner: S,
    pub(crate) count: Arc<AtomicU64>,
}

impl<S, T> Stream for Counted<S>
where
    S: Stream<Item = Result<T, Error>> + Unpin,
{
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let next = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(_))) = &next {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        next
    }
}

/// A stream whose next message must come within `timeout` of asking for it; past
/// it the stream ends with 504 `STREAM_IDLE`.
struct Idle<T> {
    inner: Streaming<T>,
    timeout: Option<Duration>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

impl<T> Idle<T> {
    fn new(inner: Streaming<T>, timeout: Option<Duration>) -> Self {
        Self {
            inner,
            timeout,
            sleep: None,
            done: false,
        }
    }
}

impl<T> Stream for Idle<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(next) = Pin::new(&mut self.inner).poll_next(cx) {
            self.sleep = None;
            self.done = !matches!(next, Some(Ok(_)));
            return Poll::Ready(next);
        }
        let Some(timeout) = self.timeout else {
            return Poll::Pending;
        };
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.done = true;
                Poll::Ready(Some(Err(Error::gateway_timeout(
                    "STREAM_IDLE",
                    format!("no message for {timeout:?} (the stream idle timeout)"),
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
