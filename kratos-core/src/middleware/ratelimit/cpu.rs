//! The CPU usage BBR reads: per mille of the CPU this process may use, sampled
//! every 500 ms on one background thread for the whole process and smoothed as
//! aegis smooths it (`new = old x 0.95 + sample x 0.05`, samples capped at 1000).
//!
//! The CPU time comes from the process's own cgroup (v2 `cpu.stat`, else v1
//! `cpuacct.usage`), as in a container it is the container's; without one, from the
//! process's own CPU time (`/proc/self/stat`). What the process may use is its CPU
//! affinity, lowered by the cgroup's CPU quota when it has one. Where none of these
//! can be read the usage stays 0, so BBR never sheds: no panic (go-kratos #2170).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::{Duration, Instant};

/// A reading of CPU usage for BBR.
pub trait CpuSource: Send + Sync + 'static {
    /// CPU usage in per mille of what the process may use (1000 is all of it).
    fn usage(&self) -> u64;
}

/// A usage set by hand: tests, or a process that measures its load itself.
impl CpuSource for AtomicU64 {
    fn usage(&self) -> u64 {
        self.load(Ordering::Relaxed)
    }
}

/// How often the sampler reads the CPU time (aegis's interval).
pub const INTERVAL: Duration = Duration::from_millis(500);
/// The weight of the old value in the moving average (aegis's decay).
pub const DECAY: f64 = 0.95;

/// The smoothed usage, written by the sampler thread.
static SMOOTHED: AtomicU64 = AtomicU64::new(0);
static SAMPLER: Once = Once::new();
static METER: OnceLock<Meter> = OnceLock::new();

/// The usage of this process, as the sampler last smoothed it.
struct SystemCpu;

impl CpuSource for SystemCpu {
    fn usage(&self) -> u64 {
        SMOOTHED.load(Ordering::Relaxed)
    }
}

/// This process's CPU usage; the first call starts the sampler thread.
pub fn system() -> Arc<dyn CpuSource> {
    SAMPLER.call_once(|| {
        let meter = meter();
        let spawned = std::thread::Builder::new()
            .name("kratos-cpu".into())
            .spawn(move || sample_forever(meter));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no CPU sampler thread: the rate limiter will not shed");
        }
    });
    Arc::new(SystemCpu)
}

/// The CPU cores this process may use, as the usage is measured against.
pub fn capacity() -> f64 {
    meter().capacity
}

fn meter() -> &'static Meter {
    METER.get_or_init(|| {
        let meter = Meter::detect(Path::new("/sys/fs/cgroup"), Path::new("/proc/self"));
        tracing::debug!(source = ?meter.source, capacity = meter.capacity, "CPU usage source");
        meter
    })
}

fn sample_forever(meter: &Meter) {
    let mut last = meter.source.read().map(|used| (used, Instant::now()));
    loop {
        std::thread::sleep(INTERVAL);
        let Some(used) = meter.source.read() else {
            continue;
        };
        let now = Instant::now();
        if let Some((before, at)) = last {
            let wall = now.duration_since(at).as_nanos() as u64;
            if let Some(sample) = per_mille(used.saturating_sub(before), wall, meter.capacity) {
                let old = SMOOTHED.load(Ordering::Relaxed);
                SMOOTHED.store(smooth(old, sample), Ordering::Relaxed);
            }
        }
        last = Some((used, now));
    }
}

/// CPU time `used` over `wall` time on `capacity` cores, per mille, at most 1000;
/// `None` when no time passed.
fn per_mille(used: u64, wall: u64, capacity: f64) -> Option<u64> {
    if wall == 0 || capacity <= 0.0 {
        return None;
    }
    let share = used as f64 / (wall as f64 * capacity);
    Some(((share * 1000.0) as u64).min(1000))
}

/// aegis's moving average, truncated as it truncates.
fn smooth(old: u64, sample: u64) -> u64 {
    (old as f64 * DECAY + sample as f64 * (1.0 - DECAY)) as u64
}

/// Where the CPU time is read, and how many cores it is measured against.
#[derive(Debug)]
struct Meter {
    source: Source,
    capacity: f64,
}

/// A file holding a CPU time counter.
#[derive(Debug, PartialEq)]
enum Source {
    /// cgroup v2 `cpu.stat`: `usage_usec`.
    CgroupV2(PathBuf),
    /// cgroup v1 `cpuacct.usage`: nanoseconds.
    CgroupV1(PathBuf),
    /// `/proc/<pid>/stat`: user and system clock ticks of all the process's threads.
    Process(PathBuf),
    /// Nothing readable.
    Unknown,
}

/// Clock ticks per second in `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux ABI).
const USER_HZ: u64 = 100;

impl Source {
    /// The CPU time used so far, in nanoseconds.
    fn read(&self) -> Option<u64> {
        match self {
            Source::CgroupV2(file) => v2_usage(&read(file)?).map(|us| us.saturating_mul(1000)),
            Source::CgroupV1(file) => read(file)?.parse().ok(),
            Source::Process(file) => {
                process_ticks(&read(file)?).map(|t| t.saturating_mul(1_000_000_000 / USER_HZ))
            }
            Source::Unknown => None,
        }
    }
}

impl Meter {
    /// Finds the counter under the cgroup mount `root`, for the process whose
    /// `/proc` directory is `proc`.
    fn detect(root: &Path, proc: &Path) -> Self {
        let cores = read(&proc.join("status"))
            .and_then(|status| cpus_allowed(&status))
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1) as f64;
        let memberships = read(&proc.join("cgroup")).unwrap_or_default();
        let (source, limit) = if root.join("cgroup.controllers").exists() {
            cgroup_v2(root, &memberships)
        } else {
            cgroup_v1(root, &memberships)
        }
        .unwrap_or_else(|| {
            let stat = proc.join("stat");
            let source = match read(&stat).as_deref().and_then(process_ticks) {
                Some(_) => Source::Process(stat),
                None => Source::Unknown,
            };
            (source, None)
        });
        let capacity = limit.map_or(cores, |limit| limit.min(cores));
        Self { source, capacity }
    }
}

/// The process's cgroup v2 `cpu.stat`, and the lowest `cpu.max` from it to the root.
fn cgroup_v2(root: &Path, memberships: &str) -> Option<(Source, Option<f64>)> {
    let own = memberships
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .unwrap_or("/");
    // Without a cgroup namespace the path is the host's, absent from this mount:
    // the mount's root is then the container's own cgroup.
    let dir = [under(root, own), root.to_path_buf()]
        .into_iter()
        .find(|dir| {
            read(&dir.join("cpu.stat"))
                .as_deref()
                .and_then(v2_usage)
                .is_some()
        })?;
    let limit = dir
        .ancestors()
        .take_while(|d| d.starts_with(root))
        .filter_map(|d| read(&d.join("cpu.max")).as_deref().and_then(v2_limit))
        .reduce(f64::min);
    Some((Source::CgroupV2(dir.join("cpu.stat")), limit))
}

/// The process's cgroup v1 `cpuacct.usage`, and its `cpu` controller's CFS quota.
fn cgroup_v1(root: &Path, memberships: &str) -> Option<(Source, Option<f64>)> {
    let usage = v1_dir(root, memberships, "cpuacct", |d| {
        read(&d.join("cpuacct.usage")).is_some_and(|u| u.parse::<u64>().is_ok())
    })?;
    let limit = v1_dir(root, memberships, "cpu", |d| {
        d.join("cpu.cfs_quota_us").exists()
    })
    .and_then(|d| {
        let quota = read(&d.join("cpu.cfs_quota_us"))?.parse::<i64>().ok()?;
        let period = read(&d.join("cpu.cfs_period_us"))?.parse::<i64>().ok()?;
        (quota > 0 && period > 0).then(|| quota as f64 / period as f64)
    });
    Some((Source::CgroupV1(usage.join("cpuacct.usage")), limit))
}

/// The directory of `controller` for this process in a v1 hierarchy: its own
/// cgroup under the controller's mount (named by one or by all of its co-mounted
/// controllers), else that mount's root, the first that `fits`.
fn v1_dir(
    root: &Path,
    memberships: &str,
    controller: &str,
    fits: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let (names, own) = memberships.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, names, own) = (fields.next()?, fields.next()?, fields.next()?);
        names
            .split(',')
            .any(|n| n == controller)
            .then_some((names, own))
    })?;
    let mounts = [root.join(names), root.join(controller)];
    mounts
        .iter()
        .map(|mount| under(mount, own))
        .chain(mounts.iter().cloned())
        .find(|dir| fits(dir))
}

/// `own` (an absolute cgroup path) under the mount `root`.
fn under(root: &Path, own: &str) -> PathBuf {
    root.join(own.trim().trim_start_matches('/'))
}

/// A file's text, without the surrounding whitespace (a counter ends in a newline).
fn read(file: &Path) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()
        .map(|text| text.trim().to_owned())
}

/// `usage_usec` of a cgroup v2 `cpu.stat`.
fn v2_usage(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|line| line.strip_prefix("usage_usec "))
        .and_then(|v| v.trim().parse().ok())
}

/// The cores a cgroup v2 `cpu.max` allows (`quota period`), `None` for `max`.
fn v2_limit(max: &str) -> Option<f64> {
    let mut fields = max.split_whitespace();
    let quota: u64 = fields.next()?.parse().ok()?;
    let period: u64 = fields.next()?.parse().ok()?;
    (quota > 0 && period > 0).then(|| quota as f64 / period as f64)
}

/// User plus system ticks from `/proc/<pid>/stat` (fields 14 and 15; the command
/// name before them is in parentheses and may hold spaces and parentheses).
fn process_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user.saturating_add(system))
}

/// The number of CPUs in `Cpus_allowed_list` of `/proc/<pid>/status` (`0-3,8,10-11`).
fn cpus_allowed(status: &str) -> Option<usize> {
    let list = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))?;
    let mut count = 0usize;
    for part in list.trim().split(',') {
        count += match part.split_once('-') {
            Some((from, to)) => {
                let (from, to): (usize, usize) = (from.parse().ok()?, to.parse().ok()?);
                to.checked_sub(from)? + 1
            }
            None => {
                part.parse::<usize>().ok()?;
                1
            }
        };
    }
    (count > 0).then_some(count)
}

#[cfg(test)]
#[path = "cpu_tests.rs"]
mod tests;
