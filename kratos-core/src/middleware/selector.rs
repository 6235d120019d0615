//! Applying a middleware to some operations only, as Go kratos's `selector`:
//! `path` matches an operation exactly, `prefix` by its start, `regex` when the
//! whole operation matches, `matcher` by any function. The middleware runs when
//! one of them hits; otherwise the call goes straight on.

use std::sync::Arc;

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// Wraps `middleware` so it runs only for the operations the selector picks.
pub fn selector(middleware: impl Middleware) -> Selector {
    Selector {
        middleware: Box::new(middleware),
        paths: Vec::new(),
        prefixes: Vec::new(),
        regexes: Vec::new(),
        matchers: Vec::new(),
    }
}

type Matcher = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A middleware that runs for the operations its matchers pick.
pub struct Selector {
    middleware: Box<dyn Middleware>,
    paths: Vec<String>,
    prefixes: Vec<String>,
    regexes: Vec<regex::Regex>,
    matchers: Vec<Matcher>,
}

impl Selector {
    /// Picks the operation equal to `operation`, e.g. `/helloworld.v1.Greeter/SayHello`.
    pub fn path(mut self, operation: impl Into<String>) -> Self {
        self.paths.push(operation.into());
        self
    }

    /// Picks the operations that start with `prefix`, e.g. `/helloworld.v1.`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }

    /// Picks the operations that `pattern` matches whole; an invalid pattern is an error.
    pub fn regex(mut self, pattern: &str) -> Result<Self, Error> {
        let anchored = format!("^(?:{pattern})$");
        let regex = regex::Regex::new(&anchored).map_err(|e| {
            Error::internal_server(
                "SELECTOR",
                format!("invalid selector regex {pattern:?}: {e}"),
            )
        })?;
        self.regexes.push(regex);
        Ok(self)
    }

    /// Picks the operations for which `matcher` returns true.
    pub fn matcher(mut self, matcher: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.matchers.push(Arc::new(matcher));
        self
    }

    /// True when the selector picks `operation`.
    pub fn matches(&self, operation: &str) -> bool {
        self.paths.iter().any(|p| p == operation)
            || self
                .prefixes
                .iter()
                .any(|p| operation.starts_with(p.as_str()))
            || self.regexes.iter().any(|r| r.is_match(operation))
            || self.matchers.iter().any(|m| m(operation))
    }
}

impl Middleware for Selector {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        if self.matches(ctx.operation()) {
            self.middleware.handle(ctx, req, next)
        } else {
            Box::pin(next.run(ctx, req))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nop;

    impl Middleware for Nop {
        fn handle<'a>(
            &'a self,
            ctx: &'a mut Context,
            req: Request,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<Reply, Error>> {
            Box::pin(next.run(ctx, req))
        }
    }

    #[test]
    fn matchers_follow_go_kratos_semantics() {
        let s = selector(Nop)
            .path("/a.v1.S/Exact")
            .prefix("/b.v1.")
            .regex("/c\\.v1\\.S/.*")
            .unwrap()
            .matcher(|op| op.ends_with("/Custom"));
        assert!(s.matches("/a.v1.S/Exact"));
        assert!(!s.matches("/a.v1.S/Exactly"), "path is equality");
        assert!(s.matches("/b.v1.Any/Thing"));
        assert!(s.matches("/c.v1.S/Get"));
        assert!(
            !s.matches("/x/c.v1.S/Get"),
            "regex matches the whole operation"
        );
        assert!(s.matches("/z.S/Custom"));
        assert!(!s.matches("/z.S/Other"));
        assert!(selector(Nop).regex("(").is_err());
    }
}
