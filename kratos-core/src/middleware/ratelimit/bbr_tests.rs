//! aegis's own BBR test vectors (`ratelimit/bbr/bbr_test.go`), on a clock the test
//! moves: its options (a 1 s window in 10 buckets, CPU threshold 800), its values
//! added straight to the windows, its expected max pass, min rt, in-flight limit
//! and drop sequence; then the rules around them that aegis's tests leave implicit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Bbr, Clock, Options};
use crate::middleware::ratelimit::{Limiter, cpu};

const MS: u64 = 1_000_000;
/// aegis's test bucket: 1 s / 10.
const BUCKET: u64 = 100 * MS;

/// A limiter with aegis's test options, its clock and its CPU in the test's hands.
struct Rig {
    bbr: Bbr,
    now: Arc<AtomicU64>,
    cpu: Arc<AtomicU64>,
}

impl Rig {
    fn new() -> Self {
        Self::with(Options::default())
    }

    fn with(options: Options) -> Self {
        let now = Arc::new(AtomicU64::new(0));
        let cpu = Arc::new(AtomicU64::new(0));
        let options = Options {
            window: Duration::from_secs(1),
            buckets: 10,
            cpu_threshold: 800,
            cpu: Some(cpu.clone()),
            ..options
        };
        let bbr = Bbr::with_clock(options, Clock::Manual(now.clone()));
        Self { bbr, now, cpu }
    }

    fn at(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep(&self, nanos: u64) {
        self.now.fetch_add(nanos, Ordering::SeqCst);
    }

    fn cpu(&self, per_mille: u64) {
        self.cpu.store(per_mille, Ordering::SeqCst);
    }

    fn add_pass(&self, value: i64) {
        self.bbr.stats().pass.add(self.at(), value);
    }

    fn add_rt(&self, value: i64) {
        self.bbr.stats().rt.add(self.at(), value);
    }

    fn max_pass(&self) -> i64 {
        self.bbr.max_pass(&mut self.bbr.stats(), self.at())
    }

    fn min_rt(&self) -> i64 {
        self.bbr.min_rt(&mut self.bbr.stats(), self.at())
    }

    fn max_in_flight(&self) -> i64 {
        self.bbr.max_in_flight(self.at())
    }

    fn in_flight(&self, n: i64) {
        self.bbr.in_flight.store(n, Ordering::SeqCst);
    }

    fn should_drop(&self) -> bool {
        self.bbr.should_drop(self.at())
    }

    /// TestBBRShouldDrop's windows: passes (i+1)*100 and latencies i*10+1..=i*10+10
    /// in bucket i, ending in the last bucket: max pass 900, min rt 6, limit 54.
    fn loaded() -> Self {
        let rig = Self::new();
        for i in 0..10 {
            rig.add_pass((i + 1) * 100);
            for rt in i * 10 + 1..=i * 10 + 10 {
                rig.add_rt(rt);
            }
            if i != 9 {
                rig.sleep(BUCKET);
            }
        }
        assert_eq!(rig.max_in_flight(), 54);
        rig
    }
}

#[test]
fn max_pass_is_the_busiest_completed_bucket() {
    // TestBBRMaxPass.
    let rig = Rig::new();
    for i in 1..=10 {
        rig.add_pass(i * 100);
        rig.sleep(BUCKET);
    }
    assert_eq!(rig.max_pass(), 1000);
    // Default max pass is 1.
    assert_eq!(Rig::new().max_pass(), 1);
}

#[test]
fn max_pass_is_kept_for_one_bucket() {
    // TestBBRMaxPassWithCache: the latest bucket counts once it is over and the
    // cached value is a bucket old.
    let rig = Rig::new();
    rig.add_pass(50);
    rig.sleep(BUCKET / 2);
    assert_eq!(rig.max_pass(), 1);
    rig.add_pass(50);
    rig.sleep(BUCKET / 2);
    assert_eq!(rig.max_pass(), 1);
    rig.add_pass(1);
    rig.sleep(BUCKET);
    assert_eq!(rig.max_pass(), 100);
}

#[test]
fn min_rt_is_the_lowest_bucket_mean_rounded_up() {
    // TestBBRMinRt.
    let rig = Rig::new();
    for i in 0..10 {
        for rt in i * 10 + 1..=i * 10 + 10 {
            rig.add_rt(rt);
        }
        if i != 9 {
            rig.sleep(BUCKET);
        }
    }
    assert_eq!(rig.min_rt(), 6);
    // With no latency recorded, 1.
    assert_eq!(Rig::new().min_rt(), 1);
}

#[test]
fn min_rt_is_kept_for_one_bucket() {
    // TestBBRMinRtWithCache.
    let rig = Rig::new();
    for i in 0..10 {
        for rt in i * 10 + 1..=i * 10 + 5 {
            rig.add_rt(rt);
        }
        if i != 9 {
            rig.sleep(BUCKET / 2);
        }
        rig.min_rt();
        for rt in i * 10 + 6..=i * 10 + 10 {
            rig.add_rt(rt);
        }
        if i != 9 {
            rig.sleep(BUCKET / 2);
        }
    }
    assert_eq!(rig.min_rt(), 6);
}

#[test]
fn max_in_flight_is_max_pass_times_min_rt_per_second() {
    // TestBBRMaxQps: 1000 passes x 6 ms x 10 buckets per second / 1000.
    let rig = Rig::new();
    for i in 0..10 {
        rig.add_pass((i + 2) * 100);
        for rt in i * 10 + 1..=i * 10 + 10 {
            rig.add_rt(rt);
        }
        if i != 9 {
            rig.sleep(BUCKET);
        }
    }
    assert_eq!(rig.max_in_flight(), 60);
}

#[test]
fn drops_over_the_threshold_and_for_a_second_after() {
    // TestBBRShouldDrop.
    let rig = Rig::loaded();
    rig.cpu(800);
    rig.in_flight(50);
    assert!(!rig.should_drop(), "cpu >= 800, in flight under the limit");
    rig.in_flight(80);
    assert!(rig.should_drop(), "cpu >= 800, in flight over the limit");
    rig.cpu(700);
    assert!(
        rig.should_drop(),
        "cpu < 800 but within a second of the drop"
    );
    rig.sleep(2_000 * MS);
    assert!(!rig.should_drop(), "cpu < 800 two seconds after");
}

#[test]
fn the_cool_down_ends_one_second_after_the_first_drop() {
    let rig = Rig::loaded();
    rig.cpu(900);
    // Far over any limit the windows give as they age.
    rig.in_flight(10_000);
    assert!(rig.should_drop());
    // Still shedding later does not move the start (aegis stores it once).
    rig.sleep(800 * MS);
    assert!(rig.should_drop());
    rig.cpu(700);
    rig.sleep(200 * MS);
    assert!(rig.should_drop(), "exactly one second after the first drop");
    rig.sleep(1);
    assert!(!rig.should_drop(), "past the second");
    // And the episode is over: low CPU admits with many in flight.
    rig.sleep(10 * MS);
    assert!(!rig.should_drop());
}

#[test]
fn within_the_cool_down_calls_under_the_limit_pass() {
    let rig = Rig::loaded();
    rig.cpu(900);
    rig.in_flight(80);
    assert!(rig.should_drop());
    rig.cpu(100);
    rig.in_flight(10);
    assert!(!rig.should_drop());
}

#[test]
fn one_call_in_flight_is_never_dropped() {
    // A fresh limiter's limit is 1 x 1 x 10 / 1000 = 0: only `in_flight > 1` keeps it open.
    let rig = Rig::new();
    rig.cpu(1000);
    assert_eq!(rig.max_in_flight(), 0);
    rig.in_flight(1);
    assert!(!rig.should_drop());
    rig.in_flight(2);
    assert!(rig.should_drop());
}

#[test]
fn under_the_threshold_nothing_is_dropped() {
    let rig = Rig::loaded();
    rig.cpu(799);
    rig.in_flight(10_000);
    assert!(!rig.should_drop());
}

#[test]
fn allow_counts_in_flight_and_done_records_pass_and_latency() {
    let rig = Rig::new();
    let calls: Vec<_> = (0..5).map(|_| rig.bbr.allow().unwrap()).collect();
    assert_eq!(rig.bbr.stat().in_flight, 5);
    // 2.5 ms counts as 3 ms, at the end of the call.
    rig.sleep(2_500_000);
    drop(calls);
    assert_eq!(rig.bbr.stat().in_flight, 0);
    rig.sleep(BUCKET);
    let stat = rig.bbr.stat();
    assert_eq!((stat.max_pass, stat.min_rt), (5, 3));
    assert_eq!(stat.max_in_flight, 0, "5 x 3 x 10 / 1000");
}

#[test]
fn a_call_that_takes_no_time_adds_no_latency() {
    let rig = Rig::new();
    let slow = [rig.bbr.allow().unwrap(), rig.bbr.allow().unwrap()];
    rig.sleep(5 * MS);
    drop(slow);
    // Ends the instant it starts: a pass, but no 0 ms latency to pull the mean down.
    drop(rig.bbr.allow().unwrap());
    rig.sleep(BUCKET);
    let stat = rig.bbr.stat();
    assert_eq!((stat.max_pass, stat.min_rt), (3, 5));
}

#[test]
fn allow_refuses_when_should_drop_says_so() {
    let rig = Rig::new();
    rig.cpu(1000);
    let first = rig.bbr.allow().expect("one in flight is admitted");
    let second = rig.bbr.allow().expect("the check sees one in flight");
    assert!(rig.bbr.allow().is_err(), "two in flight, limit 0");
    assert_eq!(
        rig.bbr.stat().in_flight,
        2,
        "a refused call is not in flight"
    );
    drop((first, second));
    assert!(rig.bbr.allow().is_ok());
}

#[test]
fn an_idle_window_reads_as_aegis_reads_it() {
    let rig = Rig::loaded();
    rig.sleep(10 * 1_000 * MS);
    // A whole window without calls: aegis's Reduce gives 0 passes, and min rt its floor 1.
    assert_eq!(rig.max_pass(), 0);
    assert_eq!(rig.min_rt(), 1);
}

#[test]
fn a_cpu_quota_rescales_the_usage() {
    // Half the cores seen: usage doubles.
    let quota = cpu::capacity() / 2.0;
    let rig = Rig::with(Options {
        cpu_quota: Some(quota),
        ..Options::default()
    });
    rig.cpu(400);
    let read = rig.bbr.stat().cpu;
    assert!((799..=800).contains(&read), "{read}");
}

#[test]
fn odd_options_do_not_panic() {
    for (window, buckets) in [
        (Duration::ZERO, 0),
        (Duration::from_nanos(3), 10),
        (Duration::MAX, 1),
    ] {
        let rig = Rig::new();
        let bbr = Bbr::with_clock(
            Options {
                window,
                buckets,
                cpu: Some(rig.cpu.clone()),
                ..Options::default()
            },
            Clock::Manual(rig.now.clone()),
        );
        rig.cpu(1000);
        let calls: Vec<_> = (0..3).filter_map(|_| bbr.allow().ok()).collect();
        rig.sleep(5 * BUCKET);
        drop(calls);
        let _ = bbr.stat();
    }
}
