//! [`Streaming<T>`]: the one stream type of streaming RPCs, in arguments and in
//! returns, on servers and on clients.
//!
//! A stream is an owned, boxed `Stream` of `Result<T, Error>` items: an `Err` item
//! ends the stream with that error (it becomes the call's final status), the end of
//! the stream is a normal end. One type everywhere is what lets the generated client
//! implement the service trait itself, as it does for unary methods.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;

use crate::context::Context;
use crate::error::{Error, REASON_CODEC};
use crate::method::Method;

/// A stream of messages of a streaming RPC; see the [module](self).
pub struct Streaming<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
}

impl<T> fmt::Debug for Streaming<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming")
            .field("item", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Streaming<T> {
    /// A stream of any `Stream` of results.
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, Error>> + Send + 'static,
    {
        Self {
            inner: Box::pin(stream),
        }
    }

    /// The items of an iterator, in order, then the end.
    pub fn iter<I>(items: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'static,
    {
        Self::new(Iter(items.into_iter()))
    }

    /// One message, then the end.
    pub fn once(item: T) -> Self {
        Self::iter(std::iter::once(item))
    }

    /// No message: the stream ends at once.
    pub fn empty() -> Self {
        Self::iter(std::iter::empty())
    }

    /// A stream fed through a bounded channel: at most `capacity` messages (at least
    /// one) wait unread, so a slow reader slows the writer down
    /// ([`StreamSender::send`] waits) and memory stays bounded.
    pub fn channel(capacity: usize) -> (StreamSender<T>, Self) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (StreamSender { tx }, Self::new(Receiver(rx)))
    }
}

impl<T> Streaming<T> {
    /// The next message; `Ok(None)` at the end, `Err` when the stream ended with an error.
    pub async fn message(&mut self) -> Result<Option<T>, Error> {
        std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx))
            .await
            .transpose()
    }

    /// The first message, for a call that carries exactly one (the request of a
    /// server-streaming call, the reply of a client-streaming one). A stream that
    /// ends before it is a `CODEC` error; what follows it is not read.
    pub async fn single(mut self) -> Result<T, Error> {
        self.message().await?.ok_or_else(|| {
            Error::bad_request(
                REASON_CODEC,
                "the stream ended before its message: this call carries exactly one",
            )
        })
    }
}

impl<T> Stream for Streaming<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The writing end of [`Streaming::channel`].
pub struct StreamSender<T> {
    tx: mpsc::Sender<Result<T, Error>>,
}

impl<T> Clone for StreamSender<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for StreamSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSender")
            .field("closed", &self.tx.is_closed())
            .finish()
    }
}

/// The reader of a stream is gone (the peer cancelled, the call ended): stop writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reader of this stream is gone")]
pub struct Closed;

impl<T> StreamSender<T> {
    /// Sends one message, waiting while the channel is full.
    pub async fn send(&self, item: T) -> Result<(), Closed> {
        self.tx.send(Ok(item)).await.map_err(|_| Closed)
    }

    /// Ends the stream with `error` (the call's final status); later sends are not read.
    pub async fn fail(&self, error: impl Into<Error>) -> Result<(), Closed> {
        self.tx.send(Err(error.into())).await.map_err(|_| Closed)
    }

    /// Waits for room for one message and reserves it: a writer that must not
    /// wait while holding a message (it has other work) selects on this first.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, Closed> {
        self.tx.reserve().await.map(Permit).map_err(|_| Closed)
    }

    /// True once the reader is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Waits until the reader is gone: a producer that waits on something else
    /// selects on this to stop at once when the peer cancels.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}

/// Calls a streaming trait method on a server value of type `S`. Every shape is
/// called the same way, a stream of requests in and a stream of replies out (a
/// server-streaming method reads the one request of its stream, a client-streaming
/// one answers a stream of one reply), so one path serves them all.
pub trait StreamHandler<S: ?Sized>: Method {
    /// Runs the method until it returns its stream of replies.
    fn call<'a>(
        service: &'a S,
        ctx: &'a Context,
        requests: Streaming<Self::Request>,
    ) -> impl Future<Output = Result<Streaming<Self::Reply>, Error>> + Send + 'a;
}

/// What a middleware's `next.run(..)` answers for a stream that ended normally, on
/// a server or a client: the messages each way. (An error end is the `Err` it answers.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StreamSummary {
    /// Messages this side read: requests on a server, replies on a client.
    pub received: u64,
    /// Messages this side wrote: replies on a server, requests on a client.
    pub sent: u64,
}

impl StreamSummary {
    /// The summary of a stream that read `received` requests and sent `sent` replies.
    pub const fn new(received: u64, sent: u64) -> Self {
        Self { received, sent }
    }
}

/// A server-streaming method as a [`StreamHandler`]: its one request, then its stream.
pub async fn server_streaming<Q, R, E, F>(
    requests: Streaming<Q>,
    call: impl FnOnce(Q) -> F,
) -> Result<Streaming<R>, Error>
where
    F: Future<Output = Result<Streaming<R>, E>>,
    E: Into<Error>,
{
    let request = requests.single().await?;
    call(request).await.map_err(Into::into)
}

/// A client-streaming method as a [`StreamHandler`]: its one reply as a stream.
pub async fn client_streaming<R, E>(
    call: impl Future<Output = Result<R, E>>,
) -> Result<Streaming<R>, Error>
where
    R: Send + 'static,
    E: Into<Error>,
{
    call.await.map(Streaming::once).map_err(Into::into)
}

/// Room for one message in a [`StreamSender`]'s channel.
pub struct Permit<'a, T>(mpsc::Permit<'a, Result<T, Error>>);

impl<T> Permit<'_, T> {
    /// Sends `item` into the reserved room; never waits.
    pub fn send(self, item: T) {
        self.0.send(Ok(item));
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// The items of an iterator as a stream that is always ready.
struct Iter<I>(I);

// The iterator is never pinned: it is only ever called through `&mut`.
impl<I> Unpin for Iter<I> {}

impl<I: Iterator> Stream for Iter<I> {
    type Item = Result<I::Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.next().map(Ok))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// The reading end of [`Streaming::channel`].
struct Receiver<T>(mpsc::Receiver<Result<T, Error>>);

impl<T> Stream for Receiver<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    #[tokio::test]
    async fn constructors_yield_their_items_then_end() {
        let mut s = Streaming::iter([1, 2, 3]);
        for n in 1..=3 {
            assert_eq!(s.message().await.unwrap(), Some(n));
        }
        assert_eq!(s.message().await.unwrap(), None);
        assert_eq!(Streaming::once(7).single().await.unwrap(), 7);
        let err = Streaming::<i32>::empty().single().await.unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (400, REASON_CODEC));
    }

    #[tokio::test]
    async fn a_channel_is_bounded_and_reports_its_reader_gone() {
        let (tx, mut rx) = Streaming::channel(1);
        tx.send(1).await.unwrap();
        // Full: the next send waits until the reader takes one.
        let mut second = std::pin::pin!(tx.send(2));
        let mut cx = TaskContext::from_waker(std::task::Waker::noop());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert_eq!(rx.message().await.unwrap(), Some(1));
        assert_eq!(second.await, Ok(()));
        assert_eq!(rx.message().await.unwrap(), Some(2));
        tx.fail(Error::not_found("GONE", "gone")).await.unwrap();
        assert_eq!(rx.message().await.unwrap_err().reason, "GONE");
        drop(rx);
        assert_eq!(tx.send(3).await, Err(Closed));
        assert!(tx.is_closed());
        tx.closed().await;
    }
}
