//! One accepted connection, from accept to close: its socket, what is in flight on
//! it, and the task that drives it and decides when it has waited long enough.
//!
//! A connection is quiet when no call is in flight on it. A quiet connection is
//! closed when its client has had its time: `header_read_timeout` from the accept
//! for a first request to arrive (so a client that sends nothing, half a request
//! line or never finishes its headers is dropped), `header_read_timeout` from the
//! first byte of a later HTTP/1.1 request, and `idle_timeout` for a keep-alive
//! connection with nothing to do (HTTP/2 gets a GOAWAY first, so clients move on
//! cleanly). At stop every connection is asked to shut down (GOAWAY, `Connection:
//! close`) and closes itself when its calls end; one that is still open a short
//! grace later (a second, from the stop or from its last call) is dropped, and the
//! serving loop drops whatever is left at the stop timeout.
//!
//! Calls only bump counters: the task looks at them when its timer fires, every
//! `min(header_read_timeout, idle_timeout)` at most, so a request costs no wake-up
//! and no timer update. A first request is timed exactly from the accept; a later
//! head or an idle spell is seen at the next look, so it may run up to one such
//! period past its timeout.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto::UpgradeableConnection;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::automatic;
use super::body::ConnService;
use super::state::ConnState;

/// How long a connection closed for idleness gets to let its client see the GOAWAY
/// (and finish a call that crossed it) before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How often a stopping connection looks whether its calls have ended.
const STOP_POLL: Duration = Duration::from_millis(50);

/// The HTTP/2 connection preface, which tells HTTP/2 from HTTP/1.1 on the wire.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The socket of one connection: notes when a request head begins, tells HTTP/2
/// by its preface, and swaps hyper's empty automatic error answers for the kratos
/// error body (see [`automatic`]).
pub(crate) struct GuardedIo {
    inner: TcpStream,
    state: Arc<ConnState>,
    /// Bytes of the HTTP/2 preface seen so far; `None` once decided either way.
    preface: Option<usize>,
    /// Response heads written for calls, to tell them from hyper's own answers.
    heads: u64,
    /// A replacement answer still being written, and how much of it is out.
    pending: Vec<u8>,
    pending_at: usize,
}

impl GuardedIo {
    pub(crate) fn new(inner: TcpStream, state: Arc<ConnState>) -> TokioIo<Self> {
        TokioIo::new(Self {
            inner,
            state,
            preface: Some(0),
            heads: 0,
            pending: Vec::new(),
            pending_at: 0,
        })
    }

    fn observe_read(&mut self, new: &[u8]) {
        if let Some(seen) = self.preface {
            let take = new.len().min(H2_PREFACE.len() - seen);
            if new[..take] != H2_PREFACE[seen..seen + take] {
                self.preface = None;
            } else if seen + take == H2_PREFACE.len() {
                self.state.http2.store(true, Ordering::Relaxed);
                self.preface = None;
            } else {
                self.preface = Some(seen + take);
            }
        }
        let state = &self.state;
        if !state.http2() && state.in_flight() == 0 && !state.head_started.load(Ordering::Relaxed) {
            state.head_started.store(true, Ordering::Relaxed);
        }
    }

    /// Writes out a replacement answer, if one is pending.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_at < self.pending.len() {
            let rest = &self.pending[self.pending_at..];
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending_at += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Whether a write that starts with `first` begins a response head: one for a
    /// call (`Some(false)`) or one hyper wrote on its own (`Some(true)`).
    fn head_kind(&self, first: &[u8]) -> Option<bool> {
        if self.state.http2() || !automatic::is_final_head(first) {
            return None;
        }
        Some(self.heads >= self.state.calls() && self.state.in_flight() == 0)
    }

    /// Takes hyper's automatic answer `head` and queues the kratos one in its place.
    fn replace(&mut self, head: &[u8], cx: &mut Context<'_>) -> Option<Poll<io::Result<usize>>> {
        self.pending = automatic::replacement(head)?;
        self.pending_at = 0;
        if let Poll::Ready(Err(e)) = self.poll_pending(cx) {
            return Some(Poll::Ready(Err(e)));
        }
        Some(Poll::Ready(Ok(head.len())))
    }
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.observe_read(&buf.filled()[before..]);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let kind = this.head_kind(buf);
        if kind == Some(true)
            && let Some(replaced) = this.replace(buf, cx)
        {
            return replaced;
        }
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        if kind == Some(false) && written > 0 {
            this.heads += 1;
        }
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
        let (first, more) = (non_empty.next(), non_empty.next().is_some());
        let kind = first.and_then(|first| this.head_kind(first));
        if kind == Some(true)
            && !more
            && let Some(first) = first
            && let Some(replaced) = this.replace(first, cx)
        {
            return replaced;
        }
        let written = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        if kind == Some(false) && written > 0 {
            this.heads += 1;
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Spawns the calls of HTTP/2 connections (hyper runs each stream as its own task)
/// so that they end when the server gives up on them at the stop timeout, instead
/// of outliving the connection they came on.
#[derive(Clone)]
pub(crate) struct StreamExecutor {
    pub(crate) abort: watch::Receiver<bool>,
}

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, stream: F) {
        let mut abort = self.abort.clone();
        tokio::spawn(async move {
            tokio::select! {
                biased;
                _ = stream => {}
                _ = abort.wait_for(|abort| *abort) => {}
            }
        });
    }
}

/// The timeouts a connection's task enforces itself, `None` when turned off.
#[derive(Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) header: Option<Duration>,
    pub(crate) idle: Option<Duration>,
}

/// hyper's connection over the guarded socket.
pub(crate) type Conn =
    UpgradeableConnection<'static, TokioIo<GuardedIo>, ConnService, StreamExecutor>;

/// Drives one connection until it ends, closing it when it has been quiet too long
/// or once the server stops and nothing is in flight on it.
pub(crate) async fn drive(
    conn: Conn,
    state: Arc<ConnState>,
    mut stop: watch::Receiver<bool>,
    timeouts: Timeouts,
) {
    let accepted = Instant::now();
    let mut conn = pin!(conn);
    let mut clock = Clock {
        accepted,
        quiet_since: accepted,
        head_since: None,
        calls_seen: 0,
        busy: false,
        closing: None,
        stopping: false,
    };
    // How often the task looks at its counters, when no deadline is nearer.
    let period = match (timeouts.header, timeouts.idle) {
        (Some(header), Some(idle)) => Some(header.min(idle)),
        (one, other) => one.or(other),
    };
    let mut sleep = pin!(tokio::time::sleep_until(accepted));
    loop {
        let now = Instant::now();
        clock.observe(&state, now);
        let deadline = clock.deadline(&state, timeouts);
        if deadline.is_some_and(|deadline| deadline <= now) {
            let first_request = clock.calls_seen == 0 && !state.http2();
            if clock.closing.is_some() || clock.head_since.is_some() || first_request {
                // Nothing to drain, and hyper keeps a half-read request open even
                // when asked to shut down: drop the connection.
                return;
            }
            clock.closing = Some(now + CLOSE_GRACE);
            conn.as_mut().graceful_shutdown();
            continue;
        }
        let look = match (clock.stopping, period) {
            (true, _) => Some(now + STOP_POLL),
            (false, Some(period)) => Some(now + period),
            (false, None) => None,
        };
        let wake = match (deadline, look) {
            (Some(deadline), Some(look)) => Some(deadline.min(look)),
            (one, other) => one.or(other),
        };
        let armed = wake.is_some();
        if let Some(wake) = wake {
            sleep.as_mut().reset(wake);
        }
        tokio::select! {
            biased;
            _ = conn.as_mut() => return,
            _ = stop.wait_for(|stop| *stop), if !clock.stopping => {
                clock.stopping = true;
                // The GOAWAY (or `Connection: close`) must reach the client before the
                // socket goes, or a call it is sending right now fails on a reset.
                clock.closing = Some(Instant::now() + CLOSE_GRACE);
                conn.as_mut().graceful_shutdown();
            }
            _ = &mut sleep, if armed => {}
        }
    }
}

/// What a connection's task knows about its past, to compute its next deadline.
struct Clock {
    accepted: Instant,
    /// When the connection last had something in flight (or was accepted).
    quiet_since: Instant,
    /// When the current HTTP/1.1 request head began arriving, while quiet.
    head_since: Option<Instant>,
    calls_seen: u64,
    busy: bool,
    /// When a connection asked to shut down is dropped if still quiet.
    closing: Option<Instant>,
    stopping: bool,
}

impl Clock {
    /// Takes in what happened since the last look, dated to this look.
    fn observe(&mut self, state: &ConnState, now: Instant) {
        let calls = state.calls();
        let busy = state.in_flight() > 0;
        if calls != self.calls_seen || busy || self.busy {
            // A call came (and maybe went) since the last look: quiet starts now.
            self.calls_seen = calls;
            self.quiet_since = now;
            self.head_since = None;
        }
        self.busy = busy;
        if !busy && self.head_since.is_none() && state.head_started.load(Ordering::Relaxed) {
            self.head_since = Some(now);
        }
    }

    /// When the connection is closed if it stays quiet; `None` while a call is in flight.
    fn deadline(&self, state: &ConnState, timeouts: Timeouts) -> Option<Instant> {
        if state.in_flight() > 0 {
            return None;
        }
        if let Some(closing) = self.closing {
            // A call that crossed the shutdown gets the grace after it ends too, so
            // its answer is written out before the socket is dropped.
            return Some(closing.max(self.quiet_since + CLOSE_GRACE));
        }
        if state.http2() {
            return timeouts.idle.map(|idle| self.quiet_since + idle);
        }
        if self.calls_seen == 0 && state.calls() == 0 {
            return timeouts.header.map(|header| self.accepted + header);
        }
        match self.head_since {
            Some(since) => timeouts.header.map(|header| since + header),
            None => timeouts.idle.map(|idle| self.quiet_since + idle),
        }
    }
}
