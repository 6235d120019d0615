//! `recovery`: a panic in the handler or in a middleware inside this one becomes
//! an error (Go kratos's 500, `UNKNOWN`, `unknown request error` unless a handler
//! says otherwise), logged with its message and the backtrace of the panic; the
//! server keeps serving.
//!
//! Servers also guard every call on their own, so a panic never drops a
//! connection; this middleware is for choosing the answer and for logging where
//! the panic happened.

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Once};
use std::task::Poll;

use super::{Middleware, Next, Reply, Request};
use crate::app::BoxFuture;
use crate::context::Context;
use crate::error::{Error, PANIC_MESSAGE, REASON_UNKNOWN};

thread_local! {
    static LAST_BACKTRACE: RefCell<Option<Backtrace>> = const { RefCell::new(None) };
}

/// Keeps the backtrace of each panic for the recovery that catches it, then lets
/// the previous hook run as before. Servers install it when built; idempotent.
pub fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            LAST_BACKTRACE.with(|slot| *slot.borrow_mut() = Some(Backtrace::force_capture()));
            previous(info);
        }));
    });
}

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

/// The backtrace of the last panic on this thread, if [`install_hook`] kept one.
pub fn take_backtrace() -> Option<Backtrace> {
    LAST_BACKTRACE.with(|slot| slot.borrow_mut().take())
}

/// The text a panic was raised with.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Polls `call`, returning the panic's message if it panics.
pub async fn catch<R>(call: impl Future<Output = R>) -> Result<R, String> {
    let mut call = pin!(call);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic_message(&*panic))),
        }
    })
    .await
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
            let caught = catch(next.run(&mut *ctx, req)).await;
            match caught {
                Ok(result) => result,
                Err(message) => {
                    let backtrace = take_backtrace();
                    tracing::error!(
                        %kind,
                        operation,
                        panic = %message,
                        backtrace = %backtrace.map(|b| b.to_string()).unwrap_or_default(),
                        "recovered from a panic"
                    );
                    Err(match &self.handler {
                        Some(handler) => handler(ctx, &message),
                        None => Error::internal_server(REASON_UNKNOWN, PANIC_MESSAGE),
                    })
                }
            }
        })
    }
}
