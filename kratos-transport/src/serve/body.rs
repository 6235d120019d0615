//! The request side of one connection: every request's body gets a deadline (a
//! client that sends its headers and then trickles or withholds the body is cut
//! off), and every call is counted from the moment its headers arrive until its
//! response has been written, so the connection knows when it is quiet (nothing in
//! flight) and may be closed for idleness or at stop.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use http::{Request, Response};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use kratos_core::app::BoxFuture;
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::ServiceExt;
use tower::util::Oneshot;

use super::direct::{DirectHandler, DirectRoutes};
use super::state::{CallGuard, ConnState};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error a request body reports when it did not arrive within the body read
/// timeout: the HTTP server answers it 408 `REQUEST_TIMEOUT`.
#[derive(Debug)]
pub(crate) struct BodyTimeout(pub(crate) Duration);

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body did not arrive within the body read timeout ({:?})",
            self.0
        )
    }
}

impl std::error::Error for BodyTimeout {}

/// Which error a late body reports: each transport's own (a `tonic::Status` for
/// gRPC, so the client sees `DEADLINE_EXCEEDED` rather than `UNKNOWN`).
pub(crate) type LateBody = fn(Duration) -> BoxError;

/// The HTTP server's late-body error.
pub(crate) fn http_late_body(timeout: Duration) -> BoxError {
    Box::new(BodyTimeout(timeout))
}

/// The gRPC server's late-body error.
pub(crate) fn grpc_late_body(timeout: Duration) -> BoxError {
    Box::new(tonic::Status::deadline_exceeded(
        BodyTimeout(timeout).to_string(),
    ))
}

pin_project! {
    /// A request body that fails once it has kept its reader waiting longer than
    /// the body read timeout. The clock starts the first time the body is read and
    /// not all there (for a handler, as soon as it reads the body, right after the
    /// headers), so a body that came with its headers costs neither a clock read
    /// nor a timer.
    pub(crate) struct TimedBody {
        #[pin]
        inner: Incoming,
        timeout: Option<(Duration, LateBody)>,
        sleep: Option<Pin<Box<Sleep>>>,
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let Some((timeout, late)) = *this.timeout else {
            return Poll::Pending;
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(sleep.as_mut().poll(cx));
        // Report it once; the body is over either way.
        *this.timeout = None;
        Poll::Ready(Some(Err(late(timeout))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// A response body that marks its call finished when hyper is done with it
    /// (written out, or dropped with the connection).
    pub(crate) struct TrackedBody<B> {
        #[pin]
        inner: B,
        call: CallGuard,
    }
}

impl<B: Body> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The hyper service of one connection: the server's router, with every call
/// counted and every request body under the body read timeout.
#[derive(Clone)]
pub(crate) struct ConnService {
    pub(crate) router: Router,
    pub(crate) conn: Arc<ConnState>,
    pub(crate) body_timeout: Option<Duration>,
    pub(crate) late_body: LateBody,
    /// The paths whose request body is a stream that lives as long as the call
    /// (gRPC client- and bidi-streaming methods): the body read timeout is for
    /// unary bodies, a stream's stalls are the stream idle timeout's. Usually
    /// empty, and then free.
    pub(crate) untimed: Arc<[&'static str]>,
    /// The client's address, in scope while each call of the connection is polled
    /// (what `Context::peer` reads): nothing stored per request.
    pub(crate) peer: SocketAddr,
    /// The generated routes called without the router, when the server allows it.
    pub(crate) direct: Option<Arc<DirectRoutes>>,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<TrackedBody<axum::body::Body>>;
    type Error = Infallible;
    type Future = CallFuture;

    fn call(&self, request: Request<Incoming>) -> CallFuture {
        let call = self.conn.begin_call(request.version());
        let streamed = !self.untimed.is_empty() && self.untimed.contains(&request.uri().path());
        let timeout = match self.body_timeout {
            Some(timeout) if !streamed => Some((timeout, self.late_body)),
            _ => None,
        };
        let request = request.map(|inner| TimedBody {
            inner,
            timeout,
            sleep: None,
        });
        let direct = self
            .direct
            .as_deref()
            .and_then(|direct| direct.find(request.method(), request.uri().path()));
        // A handler may build its call's context as it is called, before the
        // first poll: the caller's address is in scope for that too.
        let inner = match direct {
            Some(DirectHandler::Http(handler)) => Inner::Direct {
                call: super::PEER
                    .sync_scope(self.peer, || handler(request.map(axum::body::Body::new))),
            },
            Some(DirectHandler::Grpc(handler)) => Inner::Grpc {
                call: super::PEER
                    .sync_scope(self.peer, || handler(request.map(tonic::body::Body::new))),
            },
            None => Inner::Router {
                call: self.router.clone().oneshot(request),
            },
        };
        CallFuture {
            inner,
            call: Some(call),
            peer: self.peer,
        }
    }
}

pin_project! {
    /// The answer to one call, its body tracked.
    pub(crate) struct CallFuture {
        #[pin]
        inner: Inner,
        call: Option<CallGuard>,
        peer: SocketAddr,
    }
}

pin_project! {
    /// Who answers a call: the router, or a generated route's handler directly.
    #[project = InnerProj]
    enum Inner {
        Router { #[pin] call: Oneshot<Router, Request<TimedBody>> },
        Direct { call: BoxFuture<'static, Response<axum::body::Body>> },
        Grpc { call: crate::grpc::ResponseFuture },
    }
}

impl Future for Inner {
    type Output = Response<axum::body::Body>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            InnerProj::Router { call } => match ready!(call.poll(cx)) {
                Ok(response) => Poll::Ready(response),
                Err(never) => match never {},
            },
            InnerProj::Direct { call } => call.as_mut().poll(cx),
            InnerProj::Grpc { call } => match ready!(call.as_mut().poll(cx)) {
                Ok(response) => Poll::Ready(response.map(axum::body::Body::new)),
                Err(never) => match never {},
            },
        }
    }
}

impl Future for CallFuture {
    type Output = Result<Response<TrackedBody<axum::body::Body>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let response = ready!(super::PEER.sync_scope(*this.peer, || inner.poll(cx)));
        let call = this
            .call
            .take()
            .expect("CallFuture polled after it completed");
        Poll::Ready(Ok(response.map(|inner| TrackedBody { inner, call })))
    }
}
