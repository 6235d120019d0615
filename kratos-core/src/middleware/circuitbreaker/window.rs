//! The rolling window an SRE breaker counts in: the calls of the last `span`,
//! in `buckets` slices, each slice holding how many calls ended and how many of
//! them the remote accepted.
//!
//! A bucket remembers which slice of time (its slot, counted from the breaker's
//! start) it holds, so nothing has to run when time passes: a bucket whose slot
//! is a full window old is simply skipped when counting and reset when written.
//! The window is the current slice plus the `buckets - 1` before it, as aegis's
//! rolling counter counts.

use std::time::Duration;

/// One slice of time: the calls that ended in it.
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    /// Which slice this bucket holds: time since the breaker's start, in bucket lengths.
    slot: u64,
    /// Calls the remote accepted.
    accepts: u64,
    /// Calls that ended, accepted or not.
    total: u64,
}

/// The calls of the last `span`, in buckets; not synchronised (its owner locks it).
#[derive(Debug)]
pub(crate) struct Window {
    buckets: Box<[Bucket]>,
    /// One bucket's length in nanoseconds, at least 1.
    bucket_nanos: u128,
}

impl Window {
    /// A window of `span` in `buckets` slices (at least one, each at least 1 ns long).
    pub(crate) fn new(buckets: usize, span: Duration) -> Self {
        let buckets = buckets.max(1);
        let bucket_nanos = (span.as_nanos() / buckets as u128).max(1);
        Self {
            buckets: vec![Bucket::default(); buckets].into_boxed_slice(),
            bucket_nanos,
        }
    }

    /// The slot of the instant `at` (time since the breaker's start).
    fn slot(&self, at: Duration) -> u64 {
        u64::try_from(at.as_nanos() / self.bucket_nanos).unwrap_or(u64::MAX)
    }

    /// Counts one call that ended at `at`, accepted by the remote or not.
    pub(crate) fn add(&mut self, at: Duration, accepted: bool) {
        let slot = self.slot(at);
        let index = (slot % self.buckets.len() as u64) as usize;
        let bucket = &mut self.buckets[index];
        if bucket.slot != slot {
            *bucket = Bucket {
                slot,
                ..Bucket::default()
            };
        }
        bucket.accepts += u64::from(accepted);
        bucket.total += 1;
    }

    /// `(accepts, total)` over the window that ends at `at`.
    pub(crate) fn summary(&self, at: Duration) -> (u64, u64) {
        let now = self.slot(at);
        let size = self.buckets.len() as u64;
        self.buckets
            .iter()
            // A slot after `now` can only come from a clock that went back: not counted.
            .filter(|b| b.total > 0 && b.slot <= now && now - b.slot < size)
            .fold((0, 0), |(accepts, total), b| {
                (accepts + b.accepts, total + b.total)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn counts_accepts_and_totals_within_the_window() {
        let mut w = Window::new(10, 1000 * MS);
        for i in 0..5 {
            w.add(i * 50 * MS, false);
        }
        for i in 5..10 {
            w.add(i * 50 * MS, true);
        }
        assert_eq!(w.summary(450 * MS), (5, 10));
    }

    #[test]
    fn old_buckets_leave_the_window_one_by_one() {
        let mut w = Window::new(10, 1000 * MS);
        w.add(Duration::ZERO, true);
        w.add(150 * MS, false);
        // Slot 0 is counted while the window (the current slot and 9 before) holds it.
        assert_eq!(w.summary(999 * MS), (1, 2));
        assert_eq!(w.summary(1000 * MS), (0, 1));
        assert_eq!(w.summary(1100 * MS), (0, 0));
    }

    #[test]
    fn a_bucket_reused_for_a_later_slot_starts_empty() {
        let mut w = Window::new(2, 200 * MS);
        w.add(Duration::ZERO, true);
        w.add(Duration::ZERO, true);
        // Slot 2 lands on slot 0's bucket.
        w.add(200 * MS, false);
        assert_eq!(w.summary(200 * MS), (0, 1));
    }

    #[test]
    fn a_clock_that_went_back_counts_nothing_from_the_future() {
        let mut w = Window::new(10, 1000 * MS);
        w.add(500 * MS, true);
        assert_eq!(w.summary(100 * MS), (0, 0));
    }

    #[test]
    fn degenerate_settings_still_count() {
        let mut w = Window::new(0, Duration::ZERO);
        w.add(Duration::ZERO, true);
        assert_eq!(w.summary(Duration::ZERO), (1, 1));
        assert_eq!(w.summary(Duration::from_nanos(1)), (0, 0));
    }
}
