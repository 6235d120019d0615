//! Google SRE's client-side adaptive throttling, as go-kratos/aegis's `sre`
//! breaker computes it.
//!
//! Over a rolling window the breaker counts the calls that ended (`total`) and
//! those the remote accepted (`accepts`). While `total` is under the minimum
//! `request`, or `total < k * accepts` with `k = 1 / success`, every call goes
//! out. Past that, each call is rejected locally with probability
//! `max(0, (total - k * accepts) / (total + 1))`: the more the remote fails, the
//! fewer calls reach it, yet a few always do, and their successes close the
//! breaker again. There is no half-open timer: failures age out of the window.
//!
//! The clock and the random source are injectable ([`Sre::clock`],
//! [`Sre::seed`]) so that accept/throttle sequences can be checked exactly.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Breaker;
use super::window::Window;

/// A source of the current time for a breaker's window; tests move one by hand.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock, [`Instant::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Settings of the SRE breaker; [`Sre::build`] makes one breaker from them.
#[derive(Clone)]
pub struct Sre {
    success: f64,
    request: u64,
    window: Duration,
    buckets: usize,
    clock: Arc<dyn Clock>,
    seed: Option<u64>,
}

impl Default for Sre {
    fn default() -> Self {
        Self::v2()
    }
}

impl fmt::Debug for Sre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sre")
            .field("success", &self.success)
            .field("request", &self.request)
            .field("window", &self.window)
            .field("buckets", &self.buckets)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Sre {
    /// Go kratos v2's defaults (aegis): success ratio 0.6, 100 requests, 3 s in 10 buckets.
    pub fn v2() -> Self {
        Self {
            success: 0.6,
            request: 100,
            window: Duration::from_secs(3),
            buckets: 10,
            clock: Arc::new(SystemClock),
            seed: None,
        }
    }

    /// Go kratos v3's defaults: success ratio 0.5 (failure ratio 0.5), 20 requests, 3 s in 10 buckets.
    pub fn v3() -> Self {
        Self {
            success: 0.5,
            request: 20,
            ..Self::v2()
        }
    }

    /// Sets the success ratio the remote is expected to keep (`k = 1 / ratio`); lower
    /// throttles later. A value outside (0, 1] is ignored, as Go kratos v3 ignores an
    /// invalid ratio.
    #[must_use]
    pub fn success(mut self, ratio: f64) -> Self {
        if ratio > 0.0 && ratio <= 1.0 {
            self.success = ratio;
        }
        self
    }

    /// Sets how many calls must have ended within the window before any is rejected.
    #[must_use]
    pub fn request(mut self, request: u64) -> Self {
        self.request = request;
        self
    }

    /// Sets the length of the window calls are counted over; zero is ignored.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        if !window.is_zero() {
            self.window = window;
        }
        self
    }

    /// Sets how many buckets the window rolls in (at least one).
    #[must_use]
    pub fn buckets(mut self, buckets: usize) -> Self {
        self.buckets = buckets.max(1);
        self
    }

    /// Reads time from `clock` instead of the system's.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Draws the rejections from a generator seeded with `seed`, for repeatable runs.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// A breaker with these settings, its window empty.
    pub fn build(&self) -> SreBreaker {
        let rng = self
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        SreBreaker {
            k: 1.0 / self.success,
            request: self.request,
            origin: self.clock.now(),
            clock: self.clock.clone(),
            state: Mutex::new(State {
                window: Window::new(self.buckets, self.window),
                rng,
            }),
        }
    }
}

/// One SRE breaker: a rolling window of outcomes and the random source of its rejections.
pub struct SreBreaker {
    /// Calls the client may make per accepted call before throttling: `1 / success`.
    k: f64,
    request: u64,
    clock: Arc<dyn Clock>,
    /// Where the window's slots count from.
    origin: Instant,
    state: Mutex<State>,
}

struct State {
    window: Window,
    rng: fastrand::Rng,
}

impl fmt::Debug for SreBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SreBreaker")
            .field("k", &self.k)
            .field("request", &self.request)
            .field("drop_ratio", &self.drop_ratio())
            .finish_non_exhaustive()
    }
}

impl SreBreaker {
    fn elapsed(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.origin)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing can panic while the lock is held; recover anyway rather than spread a poison.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rejection probability for counts `(accepts, total)`, 0 below the thresholds.
    fn ratio(&self, accepts: u64, total: u64) -> f64 {
        let requests = self.k * accepts as f64;
        if total < self.request || (total as f64) < requests {
            return 0.0;
        }
        ((total as f64 - requests) / (total as f64 + 1.0)).max(0.0)
    }

    /// The probability that a call made now is rejected locally (0 while closed).
    pub fn drop_ratio(&self) -> f64 {
        let (accepts, total) = self.state().window.summary(self.elapsed());
        self.ratio(accepts, total)
    }

    /// `(accepts, total)` within the window now.
    pub fn counts(&self) -> (u64, u64) {
        self.state().window.summary(self.elapsed())
    }
}

impl Breaker for SreBreaker {
    fn allow(&self) -> bool {
        let at = self.elapsed();
        let mut state = self.state();
        let (accepts, total) = state.window.summary(at);
        let ratio = self.ratio(accepts, total);
        // No draw while closed, so a seeded sequence depends only on the throttled calls.
        ratio == 0.0 || state.rng.f64() >= ratio
    }

    fn mark_success(&self) {
        let at = self.elapsed();
        self.state().window.add(at, true);
    }

    fn mark_failed(&self) {
        let at = self.elapsed();
        self.state().window.add(at, false);
    }
}

#[cfg(test)]
mod tests {
    //! aegis's `sre_test.go`, case for case, with a clock moved by hand instead of
    //! sleeps and a seeded generator instead of the time-seeded one.

    use super::*;

    /// A clock that moves only when told.
    struct Manual {
        start: Instant,
        offset: Mutex<Duration>,
    }

    impl Manual {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                start: Instant::now(),
                offset: Mutex::new(Duration::ZERO),
            })
        }

        fn advance(&self, by: Duration) {
            *self.offset.lock().unwrap() += by;
        }
    }

    impl Clock for Manual {
        fn now(&self) -> Instant {
            self.start + *self.offset.lock().unwrap()
        }
    }

    const SEED: u64 = 0x5EED;

    /// aegis's `getSREBreaker`: k = 2, 100 requests, 10 buckets of 100 ms.
    fn breaker(clock: &Arc<Manual>) -> SreBreaker {
        Sre::v2()
            .success(0.5)
            .request(100)
            .window(Duration::from_secs(1))
            .buckets(10)
            .clock(clock.clone())
            .seed(SEED)
            .build()
    }

    fn mark(b: &SreBreaker, successes: u64, failures: u64) {
        (0..successes).for_each(|_| b.mark_success());
        (0..failures).for_each(|_| b.mark_failed());
    }

    fn mark_spaced(b: &SreBreaker, clock: &Manual, count: u64, success: bool) {
        for _ in 0..count {
            if success {
                b.mark_success();
            } else {
                b.mark_failed();
            }
            clock.advance(Duration::from_millis(50));
        }
    }

    #[test]
    fn closed_while_successes_keep_up() {
        let clock = Manual::new();
        let b = breaker(&clock);
        mark(&b, 80, 0);
        assert!(b.allow());
        mark(&b, 120, 0);
        assert!(b.allow());
        assert_eq!(b.drop_ratio(), 0.0);
    }

    #[test]
    fn opens_under_a_flood_of_failures() {
        let clock = Manual::new();
        let b = breaker(&clock);
        mark(&b, 100, 0);
        assert!(b.allow());
        mark(&b, 0, 1_000_000);
        assert!(!b.allow());
        let expected = (1_000_100.0 - 200.0) / 1_000_101.0;
        assert!((b.drop_ratio() - expected).abs() < 1e-12);
    }

    #[test]
    fn closes_again_once_failures_leave_the_window() {
        let clock = Manual::new();
        let b = breaker(&clock);
        assert!(b.allow());
        mark(&b, 0, 1_000_000);
        assert!(!b.allow());
        clock.advance(Duration::from_secs(2));
        assert!(b.allow());
        mark(&b, 1_000_000, 0);
        assert!(b.allow());
    }

    #[test]
    fn never_throttles_below_the_minimum_request_count() {
        let clock = Manual::new();
        let b = breaker(&clock);
        mark(&b, 0, 99);
        assert!(b.allow());
        assert_eq!(b.drop_ratio(), 0.0);
    }

    #[test]
    fn never_throttles_while_total_is_under_k_times_accepts() {
        let clock = Manual::new();
        let b = breaker(&clock);
        let size = fastrand::Rng::with_seed(SEED).u64(100..100_000);
        // aegis marks size + 1 successes and size - (size + 1) (no) failures.
        mark(&b, size + 1, 0);
        assert!(b.allow());
        // total = 2 * size + 1 stays under k * accepts = 2 * size + 2.
        mark(&b, 0, size);
        assert!(b.allow());
        assert_eq!(b.drop_ratio(), 0.0);
    }

    #[test]
    fn summary_counts_the_window_and_forgets_it() {
        let clock = Manual::new();
        let b = breaker(&clock);
        mark_spaced(&b, &clock, 10, true);
        assert_eq!(b.counts(), (10, 10));

        let b = breaker(&clock);
        mark_spaced(&b, &clock, 10, false);
        assert_eq!(b.counts(), (0, 10));

        let b = breaker(&clock);
        mark_spaced(&b, &clock, 5, false);
        mark_spaced(&b, &clock, 5, true);
        assert_eq!(b.counts(), (5, 10));

        clock.advance(Duration::from_secs(1));
        assert_eq!(b.counts(), (0, 0));
    }

    #[test]
    fn rejects_with_the_probability_it_computes() {
        // aegis's TestTrueOnProba: pi/10 over 100000 draws, within 5% of it.
        let clock = Manual::new();
        let b = breaker(&clock);
        // total - 2 * accepts = (pi/10) * (total + 1) with total = 1000: accepts = 342.
        mark(&b, 342, 658);
        let ratio = b.drop_ratio();
        assert!((ratio - (1000.0 - 684.0) / 1001.0).abs() < 1e-12);
        let rejected = (0..100_000).filter(|_| !b.allow()).count();
        let seen = rejected as f64 / 100_000.0;
        assert!(
            (seen - ratio).abs() / ratio < 0.05,
            "rejected {seen}, expected {ratio}"
        );
    }

    #[test]
    fn a_seeded_breaker_throttles_in_a_known_sequence() {
        let clock = Manual::new();
        let b = breaker(&clock);
        // Closed: no draw is taken, so the sequence below starts at the seed.
        assert!(b.allow());
        mark(&b, 30, 170);
        let ratio = (200.0 - 60.0) / 201.0;
        assert!((b.drop_ratio() - ratio).abs() < 1e-12);
        let mut reference = fastrand::Rng::with_seed(SEED);
        let expected: Vec<bool> = (0..64).map(|_| reference.f64() >= ratio).collect();
        let seen: Vec<bool> = (0..64).map(|_| b.allow()).collect();
        assert_eq!(seen, expected);
        assert!(seen.contains(&true) && seen.contains(&false));

        // The same seed and the same marks give the same answers.
        let again = breaker(&clock);
        mark(&again, 30, 170);
        let replay: Vec<bool> = (0..64).map(|_| again.allow()).collect();
        assert_eq!(replay, seen);
    }

    #[test]
    fn presets_are_go_kratos_defaults() {
        let clock = Manual::new();
        let v2 = Sre::v2().clock(clock.clone()).build();
        assert!((v2.k - 1.0 / 0.6).abs() < 1e-12);
        mark(&v2, 0, 99);
        assert_eq!(v2.drop_ratio(), 0.0);
        mark(&v2, 0, 1);
        assert!((v2.drop_ratio() - 100.0 / 101.0).abs() < 1e-12);
        // 3 s in 10 buckets: at 3 s the first bucket has left.
        clock.advance(Duration::from_millis(2999));
        assert_eq!(v2.counts(), (0, 100));
        clock.advance(Duration::from_millis(1));
        assert_eq!(v2.counts(), (0, 0));

        let v3 = Sre::v3().clock(clock.clone()).build();
        assert!((v3.k - 2.0).abs() < 1e-12);
        mark(&v3, 0, 19);
        assert_eq!(v3.drop_ratio(), 0.0);
        mark(&v3, 0, 1);
        assert!((v3.drop_ratio() - 20.0 / 21.0).abs() < 1e-12);
    }

    #[test]
    fn invalid_settings_keep_the_preset() {
        let s = Sre::v2()
            .success(0.0)
            .success(1.5)
            .success(f64::NAN)
            .window(Duration::ZERO)
            .buckets(0);
        assert_eq!(s.success, 0.6);
        assert_eq!(s.window, Duration::from_secs(3));
        assert_eq!(s.buckets, 1);
        assert!((Sre::v2().success(1.0).build().k - 1.0).abs() < 1e-12);
    }
}
