//! What the calls of one connection tell the task that drives it: how many are in
//! flight, how many came, whether the client speaks HTTP/2 and whether a request
//! head has begun. The socket (`connection.rs`) and the service (`body.rs`) write
//! it; the connection's task reads it to know when the connection is quiet.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use tokio::sync::OwnedSemaphorePermit;

/// What the socket, the service and the connection's task share about one connection.
pub(crate) struct ConnState {
    /// Calls whose response has not been written yet.
    in_flight: AtomicUsize,
    /// Calls that reached the service, ever.
    calls: AtomicU64,
    /// Whether the client speaks HTTP/2 (its preface arrived).
    pub(super) http2: AtomicBool,
    /// Whether bytes arrived while the connection was quiet: a request head has begun.
    pub(super) head_started: AtomicBool,
    /// The connection's slot under `max_connections`, freed when the last holder
    /// (the task, the socket, an unfinished call or an upgraded stream) lets go.
    _slot: OwnedSemaphorePermit,
}

impl ConnState {
    pub(crate) fn new(slot: OwnedSemaphorePermit) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            calls: AtomicU64::new(0),
            http2: AtomicBool::new(false),
            head_started: AtomicBool::new(false),
            _slot: slot,
        }
    }

    /// Counts a call whose headers have arrived; it stays in flight until the guard drops.
    pub(crate) fn begin_call(self: &Arc<Self>, version: http::Version) -> CallGuard {
        if version == http::Version::HTTP_2 {
            self.http2.store(true, Ordering::Relaxed);
        }
        self.calls.fetch_add(1, Ordering::Release);
        self.head_started.store(false, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        CallGuard(self.clone())
    }

    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub(super) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Acquire)
    }

    pub(super) fn http2(&self) -> bool {
        self.http2.load(Ordering::Relaxed)
    }
}

/// One call in flight; dropping it ends the call.
pub(crate) struct CallGuard(Arc<ConnState>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}
