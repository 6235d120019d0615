//! The BBR limiter, as go-kratos/aegis `ratelimit/bbr` decides: admit everything
//! while the CPU is under its threshold; over it, refuse a call when more are in
//! flight than the server has shown it can finish, `max pass per bucket x min mean
//! latency (ms) x buckets per second / 1000` (Little's law on the best bucket and the
//! fastest bucket of the window). Once it started refusing, it keeps checking the
//! in-flight limit for a second even if the CPU falls back under the threshold.
//!
//! A call counts when it ends (its [`Done`] guard drops): one pass in the bucket of
//! its end, its latency rounded up to whole milliseconds. The max pass and the min
//! latency are read from the buckets that are over and kept for one bucket-duration.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::cpu::{self, CpuSource};
use super::window::Window;
use super::{Done, Limiter, Rejected};

/// How long after its first refusal BBR keeps refusing over the in-flight limit, whatever the CPU.
const COOL_DOWN: u64 = 1_000_000_000;
const NANOS_PER_MS: u64 = 1_000_000;

/// BBR's options; the defaults are aegis's.
#[derive(Clone)]
pub struct Options {
    /// The time the statistics cover (default 10 s).
    pub window: Duration,
    /// How many buckets the window is cut into (default 100).
    pub buckets: usize,
    /// CPU usage, per mille, from which calls over the in-flight limit are refused (default 800).
    pub cpu_threshold: u64,
    /// The CPU cores the process really has, when its cgroup and affinity do not say
    /// (aegis's `CPUQuota`): the usage read is rescaled to them.
    pub cpu_quota: Option<f64>,
    /// Where the CPU usage comes from (default [`cpu::system`]: this process's cgroup).
    pub cpu: Option<Arc<dyn CpuSource>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(10),
            buckets: 100,
            cpu_threshold: 800,
            cpu_quota: None,
            cpu: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("window", &self.window)
            .field("buckets", &self.buckets)
            .field("cpu_threshold", &self.cpu_threshold)
            .field("cpu_quota", &self.cpu_quota)
            .field("cpu", &self.cpu.as_ref().map_or("system", |_| "custom"))
            .finish()
    }
}

/// A snapshot of a BBR limiter's state (aegis's `Stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// CPU usage, per mille, as the limiter reads it.
    pub cpu: u64,
    /// Calls admitted and not yet ended.
    pub in_flight: i64,
    /// The in-flight limit applied while shedding.
    pub max_in_flight: i64,
    /// The lowest mean latency of a bucket in the window, in milliseconds (at least 1).
    pub min_rt: i64,
    /// The most calls a bucket of the window saw end (1 when none did).
    pub max_pass: i64,
}

/// Where BBR reads the time: nanoseconds since the limiter was made.
enum Clock {
    Real(Instant),
    #[cfg(test)]
    Manual(Arc<AtomicU64>),
}

impl Clock {
    fn now(&self) -> u64 {
        match self {
            Clock::Real(start) => u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX),
            #[cfg(test)]
            Clock::Manual(now) => now.load(Ordering::SeqCst),
        }
    }
}

/// A statistic read from the window, kept for one bucket-duration from `at`.
#[derive(Clone, Copy)]
struct Cached {
    value: i64,
    at: u64,
}

/// The windows and the statistics read from them, behind one lock.
struct Stats {
    pass: Window,
    rt: Window,
    max_pass: Option<Cached>,
    min_rt: Option<Cached>,
}

/// The BBR adaptive limiter.
pub struct Bbr {
    clock: Clock,
    cpu: Arc<dyn CpuSource>,
    /// Multiplies the CPU usage read, with a CPU quota.
    cpu_scale: Option<f64>,
    cpu_threshold: u64,
    bucket: u64,
    buckets_per_second: i64,
    in_flight: AtomicI64,
    /// When the current shedding started, 0 when it is not shedding.
    shedding_since: AtomicU64,
    stats: Mutex<Stats>,
}

impl std::fmt::Debug for Bbr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bbr").field("stat", &self.stat()).finish()
    }
}

impl Default for Bbr {
    fn default() -> Self {
        Self::new(Options::default())
    }
}

impl Bbr {
    /// A limiter with `options`; without a CPU source it starts the process-wide sampler.
    pub fn new(options: Options) -> Self {
        Self::with_clock(options, Clock::Real(Instant::now()))
    }

    fn with_clock(options: Options, clock: Clock) -> Self {
        let buckets = options.buckets.max(1);
        let window = u64::try_from(options.window.as_nanos()).unwrap_or(u64::MAX);
        let bucket = (window / buckets as u64).max(1);
        let cpu = options.cpu.unwrap_or_else(cpu::system);
        // aegis: usage x NumCPU / quota, the usage being a share of all the cores seen.
        let cpu_scale = options
            .cpu_quota
            .filter(|q| q.is_finite() && *q > 0.0)
            .map(|quota| cpu::capacity() / quota);
        let now = clock.now();
        Self {
            clock,
            cpu,
            cpu_scale,
            cpu_threshold: options.cpu_threshold,
            bucket,
            buckets_per_second: i64::try_from(1_000_000_000 / bucket).unwrap_or(i64::MAX),
            in_flight: AtomicI64::new(0),
            shedding_since: AtomicU64::new(0),
            stats: Mutex::new(Stats {
                pass: Window::new(buckets, bucket, now),
                rt: Window::new(buckets, bucket, now),
                max_pass: None,
                min_rt: None,
            }),
        }
    }

    /// A snapshot of the limiter's state.
    pub fn stat(&self) -> Stat {
        let now = self.clock.now();
        let mut stats = self.stats();
        let max_pass = self.max_pass(&mut stats, now);
        let min_rt = self.min_rt(&mut stats, now);
        Stat {
            cpu: self.cpu_usage(),
            in_flight: self.in_flight.load(Ordering::Acquire),
            max_in_flight: self.limit(max_pass, min_rt),
            min_rt,
            max_pass,
        }
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cpu_usage(&self) -> u64 {
        let usage = self.cpu.usage();
        match self.cpu_scale {
            Some(scale) => (usage as f64 * scale) as u64,
            None => usage,
        }
    }

    /// True while a statistic read at `at` is younger than one bucket-duration.
    fn fresh(&self, cached: Option<Cached>, now: u64) -> Option<i64> {
        cached
            .filter(|c| now.checked_sub(c.at).is_some_and(|age| age < self.bucket))
            .map(|c| c.value)
    }

    /// The most passes a completed bucket of the window holds, at least 1; 0 once
    /// the window is a whole window old (as aegis reads an empty window).
    fn max_pass(&self, stats: &mut Stats, now: u64) -> i64 {
        if let Some(value) = self.fresh(stats.max_pass, now) {
            return value;
        }
        let value = stats
            .pass
            .completed(now)
            .map_or(0, |buckets| buckets.map(|b| b.sum).fold(1, i64::max));
        stats.max_pass = Some(Cached { value, at: now });
        value
    }

    /// The lowest mean latency of a completed bucket that has calls, rounded up, at least 1.
    fn min_rt(&self, stats: &mut Stats, now: u64) -> i64 {
        if let Some(value) = self.fresh(stats.min_rt, now) {
            return value;
        }
        let lowest = stats.rt.completed(now).and_then(|buckets| {
            buckets
                .filter(|b| b.count > 0)
                .map(|b| b.sum as f64 / b.count as f64)
                .min_by(f64::total_cmp)
        });
        let value = lowest.map_or(1, |mean| (mean.ceil() as i64).max(1));
        stats.min_rt = Some(Cached { value, at: now });
        value
    }

    fn limit(&self, max_pass: i64, min_rt: i64) -> i64 {
        max_pass
            .saturating_mul(min_rt)
            .saturating_mul(self.buckets_per_second)
            / 1000
    }

    fn max_in_flight(&self, now: u64) -> i64 {
        let mut stats = self.stats();
        let max_pass = self.max_pass(&mut stats, now);
        let min_rt = self.min_rt(&mut stats, now);
        self.limit(max_pass, min_rt)
    }

    /// True when more than one call and more than the limit are in flight.
    fn over_limit(&self, now: u64) -> bool {
        let in_flight = self.in_flight.load(Ordering::Acquire);
        in_flight > 1 && in_flight > self.max_in_flight(now)
    }

    /// aegis's `shouldDrop`.
    fn should_drop(&self, now: u64) -> bool {
        let since = self.shedding_since.load(Ordering::Acquire);
        if self.cpu_usage() < self.cpu_threshold {
            if since == 0 {
                return false;
            }
            if now.saturating_sub(since) <= COOL_DOWN {
                return self.over_limit(now);
            }
            self.shedding_since.store(0, Ordering::Release);
            return false;
        }
        let drop = self.over_limit(now);
        if drop && since == 0 {
            // 0 means "not shedding": a drop at the clock's first nanosecond is 1.
            self.shedding_since.store(now.max(1), Ordering::Release);
        }
        drop
    }
}

impl Limiter for Bbr {
    fn allow(&self) -> Result<Done<'_>, Rejected> {
        let now = self.clock.now();
        if self.should_drop(now) {
            return Err(Rejected);
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Ok(Done::new(self, now))
    }

    fn done(&self, started: u64) {
        let now = self.clock.now();
        let rt = now.saturating_sub(started).div_ceil(NANOS_PER_MS);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        let mut stats = self.stats();
        if rt > 0 {
            stats.rt.add(now, i64::try_from(rt).unwrap_or(i64::MAX));
        }
        stats.pass.add(now, 1);
    }
}

#[cfg(test)]
#[path = "bbr_tests.rs"]
mod tests;
