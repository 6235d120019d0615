//! `recovery`: a panic in the handler or in a middleware inside this one becomes
//! an error (Go kratos's 500, `UNKNOWN`, `unknown request error` unless a handler
//! says otherwise) whose local cause is the [`Panic`]: its message, where it was
//! raised and, only when `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) asks for one,
//! its backtrace. The server keeps serving.
//!
//! A panic costs one log event: servers log every 5xx once with its cause
//! (`panicked at src/greeter.rs:12:9: ...`), so the panic is not logged again here
//! unless it is answered below 500. Capturing a backtrace for every panic cost
//! tens of kilobytes of log and, on the first one, a hundred megabytes of memory
//! for the symbol tables; it is now opt-in, as it is for a panic anywhere else.
//!
//! Servers also guard every call on their own, so a panic never drops a
//! connection; this middleware is for choosing the answer.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Once};
use std::task::Poll;

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::{Error, PANIC_MESSAGE, REASON_UNKNOWN};

thread_local! {
    /// Polls of guarded calls under way on this thread: a panic raised inside one is
    /// reported by the guard that catches it, so the hook stays silent for it.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside a guarded call was raised, for its guard to take.
    static ORIGIN: Cell<Option<Origin>> = const { Cell::new(None) };
}

/// What only the panic hook can see of a panic.
struct Origin {
    location: Option<String>,
    backtrace: Option<Backtrace>,
}

/// Takes over the report of panics raised inside guarded calls ([`catch`]): their
/// location (and backtrace, when asked for) is kept for the guard's error instead of
/// being printed to stderr. Panics anywhere else go to the previous hook as before.
/// `#[kratos::main]` installs it at start, and the first guarded call does when a
/// program runs without it; idempotent.
pub fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.try_with(Cell::get).unwrap_or(0) == 0 {
                return previous(info);
            }
            // `capture` is free unless RUST_BACKTRACE / RUST_LIB_BACKTRACE ask for it.
            let backtrace = Backtrace::capture();
            let origin = Origin {
                location: info.location().map(ToString::to_string),
                backtrace: (backtrace.status() == BacktraceStatus::Captured).then_some(backtrace),
            };
            let _ = ORIGIN.try_with(|slot| slot.set(Some(origin)));
        }));
    });
}

/// A panic caught by [`catch`]: the local cause of the error it is answered with.
#[derive(Debug)]
pub struct Panic {
    message: String,
    location: Option<String>,
    backtrace: Option<Backtrace>,
}

impl Panic {
    /// The panic caught with `payload` on this thread, with what the hook kept of it.
    fn caught(payload: &(dyn std::any::Any + Send)) -> Self {
        let origin = ORIGIN.with(Cell::take);
        let (location, backtrace) = origin.map_or((None, None), |o| (o.location, o.backtrace));
        Self {
            message: panic_message(payload),
            location,
            backtrace,
        }
    }

    /// The text the panic was raised with.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `file:line:column` of the panic, when the hook saw it.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The backtrace, captured only when `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE` asks.
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.backtrace.as_ref()
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "panicked at {location}: {}", self.message)?,
            None => write!(f, "panicked: {}", self.message)?,
        }
        if let Some(backtrace) = &self.backtrace {
            write!(f, "\nstack backtrace:\n{backtrace}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Panic {}

/// What a recovered panic turns into, given the panic's message.
pub type PanicHandler = Arc<dyn Fn(&Context, &str) -> Error + Send + Sync>;

/// The recovery middleware.
#[derive(Clone)]
pub struct Recovery {
    handler: Option<PanicHandler>,
}

/// Recovery with Go kratos's answer.
pub fn recovery() -> Recovery {
    install_hook();
    Recovery { handler: None }
}

impl Recovery {
    /// Answers a panic with `handler`'s error instead.
    pub fn handler(
        mut self,
        handler: impl Fn(&Context, &str) -> Error + Send + Sync + 'static,
    ) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }
}

/// The text a panic was raised with.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Polls `call` as a guarded call, returning the [`Panic`] if it panics.
pub async fn catch<R>(call: impl Future<Output = R>) -> Result<R, Panic> {
    // Programs that build their servers by hand get the hook with their first call.
    install_hook();
    let mut call = pin!(call);
    std::future::poll_fn(|cx| match poll_guarded(|| call.as_mut().poll(cx)) {
        Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(panic) => Poll::Ready(Err(panic)),
    })
    .await
}

/// One poll of a guarded call: what [`catch`] does per poll, for a future that
/// guards itself rather than being wrapped ([`install_hook`] is the caller's).
pub fn poll_guarded<R>(poll: impl FnOnce() -> Poll<R>) -> Result<Poll<R>, Panic> {
    GUARDED.set(GUARDED.get() + 1);
    let polled = std::panic::catch_unwind(AssertUnwindSafe(poll));
    GUARDED.set(GUARDED.get() - 1);
    polled.map_err(|payload| Panic::caught(&*payload))
}

impl Middleware for Recovery {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let (kind, operation) = (ctx.kind(), ctx.operation());
            let panic = match catch(next.run(&mut *ctx, req)).await {
                Ok(result) => return result,
                Err(panic) => panic,
            };
            let error = match &self.handler {
                Some(handler) => handler(ctx, panic.message()),
                None => Error::internal_server(REASON_UNKNOWN, PANIC_MESSAGE),
            };
            if error.code < 500 {
                // Servers log only server errors; a panic must not pass unlogged.
                tracing::error!(%kind, operation, code = error.code, reason = %error.reason, %panic, "recovered from a panic");
            }
            Err(match error.cause() {
                Some(_) => error,
                None => error.with_cause(panic),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_caught_panic_carries_its_message_and_location() {
        install_hook();
        let line = line!() + 1;
        let caught = block_on(catch(async { panic!("boom {}", 7) })).unwrap_err();
        assert_eq!(caught.message(), "boom 7");
        let location = caught.location().expect("the hook saw the location");
        assert!(
            location.starts_with(&format!("{}:{line}:", file!())),
            "{location}"
        );
        assert!(
            caught
                .to_string()
                .starts_with(&format!("panicked at {location}: boom 7"))
        );
    }

    #[test]
    fn a_call_that_does_not_panic_is_returned() {
        install_hook();
        assert_eq!(block_on(catch(async { 5 })).unwrap(), 5);
        assert_eq!(GUARDED.get(), 0);
    }
}
