//! The rolling window BBR keeps its statistics in, as aegis's `internal/window`
//! rolls it: a ring of buckets, each one bucket-duration of time holding the sum and
//! the count of the values added in it. Time is nanoseconds on the limiter's clock.
//!
//! The ring moves when a value is added: the buckets that time skipped are emptied
//! and the current one is the last bucket's start plus whole bucket-durations, so
//! bucket edges stay aligned to the window's creation. Reading never moves it, and
//! reads only the buckets that are over: the one in progress is left out, so a
//! statistic does not change while its bucket fills (aegis's BBR reads `size - 1`).

/// One bucket: the sum of the values added during its time, and how many there were.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Bucket {
    pub(super) sum: i64,
    pub(super) count: i64,
}

/// A ring of `size` buckets of `bucket` nanoseconds each.
#[derive(Debug)]
pub(super) struct Window {
    buckets: Box<[Bucket]>,
    /// The bucket the last value went to.
    offset: usize,
    /// When that bucket started.
    started: u64,
    /// A bucket's duration, at least 1 ns.
    bucket: u64,
}

impl Window {
    /// An empty window whose first bucket starts at `now`.
    pub(super) fn new(size: usize, bucket: u64, now: u64) -> Self {
        Self {
            buckets: vec![Bucket::default(); size.max(1)].into_boxed_slice(),
            offset: 0,
            started: now,
            bucket: bucket.max(1),
        }
    }

    /// Whole bucket-durations between the last bucket's start and `now`.
    fn timespan(&self, now: u64) -> u64 {
        now.saturating_sub(self.started) / self.bucket
    }

    /// Adds `value` to the bucket of `now`, emptying those time skipped first.
    pub(super) fn add(&mut self, now: u64, value: i64) {
        let size = self.buckets.len();
        let timespan = self.timespan(now);
        if timespan > 0 {
            let skipped = timespan.min(size as u64) as usize;
            for i in 1..=skipped {
                self.buckets[(self.offset + i) % size] = Bucket::default();
            }
            self.offset = (self.offset + (timespan % size as u64) as usize) % size;
            self.started = self
                .started
                .saturating_add(timespan.saturating_mul(self.bucket));
        }
        let bucket = &mut self.buckets[self.offset];
        bucket.sum = bucket.sum.saturating_add(value);
        bucket.count += 1;
    }

    /// The buckets that are over and still inside the window at `now`, oldest first;
    /// `None` once the last value is a whole window old (nothing left to read).
    pub(super) fn completed(&self, now: u64) -> Option<impl Iterator<Item = Bucket> + '_> {
        let size = self.buckets.len();
        let timespan = self.timespan(now);
        let count = (size as u64).checked_sub(timespan).filter(|c| *c > 0)? as usize;
        let first = (self.offset + timespan as usize + 1) % size;
        // With `timespan == 0` the last of `count` is the bucket still filling.
        let read = count.min(size - 1);
        Some((0..read).map(move |i| self.buckets[(first + i) % size]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn sums(window: &Window, now: u64) -> Option<Vec<i64>> {
        window.completed(now).map(|b| b.map(|b| b.sum).collect())
    }

    #[test]
    fn the_bucket_in_progress_is_not_read() {
        let mut w = Window::new(3, 100 * MS, 0);
        w.add(0, 1);
        w.add(10 * MS, 2);
        // The bucket of t=0 is still filling: two empty ones are over (the start of the ring).
        assert_eq!(sums(&w, 50 * MS), Some(vec![0, 0]));
        assert_eq!(sums(&w, 100 * MS), Some(vec![0, 3]));
    }

    #[test]
    fn values_land_in_the_bucket_of_their_time_and_old_ones_roll_out() {
        // aegis window_test / policy_test: Add at 0, 1, 2 buckets, then read as time moves.
        let mut w = Window::new(3, 100 * MS, 0);
        w.add(0, 1);
        w.add(150 * MS, 2);
        w.add(250 * MS, 3);
        assert_eq!(sums(&w, 250 * MS), Some(vec![1, 2]));
        assert_eq!(sums(&w, 300 * MS), Some(vec![2, 3]));
        assert_eq!(sums(&w, 400 * MS), Some(vec![3]));
        assert_eq!(
            sums(&w, 500 * MS),
            None,
            "a whole window old: nothing to read"
        );
        // Adding after a long gap empties every bucket (aegis resets at most `size`).
        w.add(10_000 * MS, 7);
        assert_eq!(sums(&w, 10_100 * MS), Some(vec![0, 7]));
    }

    #[test]
    fn counts_and_sums_per_bucket() {
        let mut w = Window::new(2, 100 * MS, 0);
        for v in [4, 6, 8] {
            w.add(5 * MS, v);
        }
        let got: Vec<_> = w.completed(100 * MS).unwrap().collect();
        assert_eq!(got, vec![Bucket { sum: 18, count: 3 }]);
    }

    #[test]
    fn bucket_edges_stay_aligned_to_the_start() {
        let mut w = Window::new(4, 100 * MS, 0);
        w.add(190 * MS, 1);
        // 199 ms is still in the bucket of [100, 200): the value's own bucket is in progress.
        assert_eq!(sums(&w, 199 * MS), Some(vec![0, 0, 0]));
        assert_eq!(sums(&w, 200 * MS), Some(vec![0, 0, 1]));
    }

    #[test]
    fn a_one_bucket_window_reads_nothing_but_is_not_empty() {
        let mut w = Window::new(1, 100 * MS, 0);
        w.add(0, 5);
        assert_eq!(sums(&w, 0), Some(vec![]));
        assert_eq!(sums(&w, 100 * MS), None);
    }
}
