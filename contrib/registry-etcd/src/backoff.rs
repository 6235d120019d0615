//! How long to wait before trying etcd again, shared by the keep-alive tasks and
//! the watchers: short at first, so recovery follows etcd's return closely,
//! and capped, so an outage costs etcd little.

use std::time::Duration;

/// Exponential backoff with jitter, from 100ms up to 2s: retries stay cheap
/// for etcd and an instance comes back within a couple of seconds of etcd.
#[derive(Default)]
pub(crate) struct Backoff {
    attempt: u32,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(2);

    pub(crate) fn next(&mut self) -> Duration {
        let ceiling = Self::FIRST
            .saturating_mul(1 << self.attempt.min(10))
            .min(Self::MAX);
        self.attempt = self.attempt.saturating_add(1);
        // Jitter in the upper half, so instances that lost etcd together spread out.
        ceiling / 2 + ceiling.mul_f64(fastrand::f64() / 2.0)
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_and_resets() {
        let mut backoff = Backoff::default();
        let first = backoff.next();
        assert!(first >= Duration::from_millis(50) && first <= Backoff::FIRST);
        for _ in 0..20 {
            assert!(backoff.next() <= Backoff::MAX);
        }
        assert!(backoff.next() >= Backoff::MAX / 2);
        backoff.reset();
        assert!(backoff.next() <= Backoff::FIRST);
    }
}
