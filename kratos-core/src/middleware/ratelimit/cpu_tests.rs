//! The CPU meter on cgroup trees laid out as the kernel lays them out (v2, v1 with
//! co-mounted controllers, containers without a cgroup namespace), on a process
//! without cgroups, on nothing at all; and aegis's smoothing.

use std::fs;
use std::path::Path;

use super::*;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A `/proc/<pid>` directory: its cgroups, its allowed CPUs and a `stat` line.
fn proc_dir(cgroup: &str, cpus: &str) -> tempfile::TempDir {
    let proc = tempfile::tempdir().unwrap();
    write(&proc.path().join("cgroup"), cgroup);
    write(
        &proc.path().join("status"),
        &format!("Name:\tserver\nCpus_allowed:\tf\nCpus_allowed_list:\t{cpus}\nMems_allowed:\t1\n"),
    );
    write(
        &proc.path().join("stat"),
        "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 1 1\n",
    );
    proc
}

#[test]
fn cgroup_v2_reads_the_process_own_cgroup_and_the_lowest_quota_above_it() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    write(
        &root.join("cgroup.controllers"),
        "cpuset cpu io memory pids\n",
    );
    write(&root.join("cpu.stat"), "usage_usec 999999\n");
    write(&root.join("kubepods/cpu.max"), "250000 100000\n");
    write(&root.join("kubepods/pod/cpu.max"), "max 100000\n");
    write(
        &root.join("kubepods/pod/app/cpu.stat"),
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
    );
    write(&root.join("kubepods/pod/app/cpu.max"), "150000 100000\n");
    let proc = proc_dir("0::/kubepods/pod/app\n", "0-3");
    let meter = Meter::detect(root, proc.path());
    assert_eq!(
        meter.source,
        Source::CgroupV2(root.join("kubepods/pod/app/cpu.stat"))
    );
    assert_eq!(meter.source.read(), Some(1_500_000));
    assert_eq!(meter.capacity, 1.5);
}

#[test]
fn cgroup_v2_without_a_namespace_reads_the_mount_root() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    write(&root.join("cgroup.controllers"), "cpu\n");
    write(&root.join("cpu.stat"), "usage_usec 7\n");
    write(&root.join("cpu.max"), "50000 100000\n");
    let proc = proc_dir("0::/system.slice/docker-abc.scope\n", "0-7");
    let meter = Meter::detect(root, proc.path());
    assert_eq!(meter.source, Source::CgroupV2(root.join("cpu.stat")));
    assert_eq!(meter.capacity, 0.5);
}

#[test]
fn cgroup_v1_reads_cpuacct_and_the_cfs_quota_of_co_mounted_controllers() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let own = root.join("cpu,cpuacct/docker/abc");
    write(&own.join("cpuacct.usage"), "123456789\n");
    write(&own.join("cpu.cfs_quota_us"), "200000\n");
    write(&own.join("cpu.cfs_period_us"), "100000\n");
    let proc = proc_dir(
        "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n",
        "0-3",
    );
    let meter = Meter::detect(root, proc.path());
    assert_eq!(meter.source, Source::CgroupV1(own.join("cpuacct.usage")));
    assert_eq!(meter.source.read(), Some(123_456_789));
    assert_eq!(meter.capacity, 2.0);
}

#[test]
fn cgroup_v1_falls_back_to_the_controller_mount_without_a_limit() {
    // As this machine has it: separate mounts, the own path absent, no CFS quota.
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    write(&root.join("cpuacct/cpuacct.usage"), "42\n");
    write(&root.join("cpu/cpu.cfs_quota_us"), "-1\n");
    write(&root.join("cpu/cpu.cfs_period_us"), "100000\n");
    let proc = proc_dir("3:cpuset:/\n2:cpuacct:/gone\n1:cpu:/gone\n0::/\n", "0-1");
    let meter = Meter::detect(root, proc.path());
    assert_eq!(
        meter.source,
        Source::CgroupV1(root.join("cpuacct/cpuacct.usage"))
    );
    assert_eq!(meter.capacity, 2.0);
}

#[test]
fn without_cgroups_the_process_own_cpu_time_is_read() {
    let root = tempfile::tempdir().unwrap();
    let proc = proc_dir("", "0,2-4");
    let meter = Meter::detect(root.path(), proc.path());
    assert_eq!(meter.source, Source::Process(proc.path().join("stat")));
    // 250 user + 50 system ticks at 100 Hz.
    assert_eq!(meter.source.read(), Some(3_000_000_000));
    assert_eq!(meter.capacity, 4.0);
}

#[test]
fn with_nothing_readable_the_usage_is_never_read_and_nothing_panics() {
    let root = tempfile::tempdir().unwrap();
    let proc = tempfile::tempdir().unwrap();
    let missing = proc.path().join("no such dir");
    let meter = Meter::detect(&missing, &missing);
    assert_eq!(meter.source, Source::Unknown);
    assert_eq!(meter.source.read(), None);
    assert!(meter.capacity >= 1.0);
    // Garbage in every file.
    write(&root.path().join("cgroup.controllers"), "\u{0}");
    write(&root.path().join("cpu.stat"), "usage_usec lots\n");
    write(&proc.path().join("cgroup"), "::::\n0::\n");
    write(&proc.path().join("status"), "Cpus_allowed_list:\t3-1\n");
    write(&proc.path().join("stat"), "1 (x\n");
    let meter = Meter::detect(root.path(), proc.path());
    assert_eq!(meter.source, Source::Unknown);
}

#[test]
fn this_machine_has_a_readable_meter() {
    let meter = Meter::detect(Path::new("/sys/fs/cgroup"), Path::new("/proc/self"));
    assert!(meter.capacity > 0.0, "{meter:?}");
    if cfg!(target_os = "linux") {
        assert!(meter.source.read().is_some(), "{meter:?}");
    }
}

#[test]
fn usage_is_per_mille_of_the_capacity_and_capped() {
    const SECOND: u64 = 1_000_000_000;
    assert_eq!(per_mille(SECOND / 2, SECOND, 1.0), Some(500));
    assert_eq!(per_mille(SECOND, SECOND, 2.0), Some(500));
    assert_eq!(per_mille(SECOND, SECOND, 0.5), Some(1000), "capped");
    assert_eq!(per_mille(1, 0, 1.0), None);
}

#[test]
fn smoothing_is_aegis_moving_average() {
    assert_eq!(smooth(0, 1000), 50);
    assert_eq!(smooth(1000, 0), 950);
    // Under full load from idle: 33 samples (16.5 s) to cross 800; truncation holds it at 999.
    let mut usage = 0;
    let steps = std::iter::repeat_with(|| {
        usage = smooth(usage, 1000);
        usage
    })
    .position(|u| u >= 800)
    .unwrap();
    assert_eq!(steps + 1, 33);
    assert_eq!(smooth(999, 1000), 999);
}

#[test]
fn parsers_take_what_the_kernel_writes() {
    assert_eq!(cpus_allowed("Cpus_allowed_list:\t0-1\n"), Some(2));
    assert_eq!(cpus_allowed("Cpus_allowed_list:\t0,2-5,8\n"), Some(6));
    assert_eq!(cpus_allowed("Cpus_allowed_list:\tx\n"), None);
    assert_eq!(v2_limit("max 100000\n"), None);
    assert_eq!(v2_limit("50000 100000\n"), Some(0.5));
    assert_eq!(v2_usage("user_usec 1\nusage_usec 20\n"), Some(20));
    assert_eq!(
        process_ticks("1 (a) b) R 1 1 1 0 -1 0 0 0 0 0 7 8 0 0"),
        Some(15)
    );
    assert_eq!(process_ticks("1 (a"), None);
}

#[test]
fn a_hand_set_usage_is_a_source() {
    let usage = AtomicU64::new(900);
    assert_eq!(CpuSource::usage(&usage), 900);
}
