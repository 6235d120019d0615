//! The load client of bench/stream.sh: server-streaming calls of
//! `/stream.v1.Counter/Countdown` over tonic's client (the code tonic-build would
//! generate, hand-written, the same for every server), measuring the server
//! process through `/proc/PID`.
//!
//! ```text
//! stream_load --addr 127.0.0.1:19010 --server-pid PID --mode throughput --streams 64 --from 100000
//! stream_load --addr 127.0.0.1:19010 --server-pid PID --mode open --streams 1000 --hold 8
//! ```
//!
//! `--mode throughput`: `--streams` workers spread over `--connections` HTTP/2
//! connections, each calling `countdown(from)` again and again and reading every
//! tick (checked: from, from-1, ..., 1, then status OK). After `--warmup` seconds
//! it counts, for `--duration` seconds, the ticks read, the server's CPU time
//! (utime + stime of `/proc/PID/stat`), its socket writes (`/proc/PID/io`) and,
//! with `--server-cpu C`, what else ran on the server's core.
//!
//! `--mode open`: opens `--streams` streams of `countdown(from)` at once, reads the
//! first tick of each (so each is open and its writer running), then reads nothing
//! more: every writer fills the stream's flow-control window (64 KiB, HTTP/2's
//! default) and its own buffers, and waits. Samples the server's VmRSS every
//! second until a second passes with the server idle (every writer waits), then
//! for `--hold` seconds more; reports its RSS before the streams, when all are
//! open, when the writers wait, at the end, its VmHWM, and its CPU while held.
//!
//! Prints one `BENCH key=value ...` line; any failed call ends the run with exit 1.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

const PATH: &str = "/stream.v1.Counter/Countdown";

/// The receive window of each held stream in `--mode open`: HTTP/2's default.
const STREAM_WINDOW: u32 = 65_535;

#[derive(Clone, PartialEq, prost::Message)]
pub struct CountdownRequest {
    #[prost(int32, tag = "1")]
    pub from: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Tick {
    #[prost(int32, tag = "1")]
    pub n: i32,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Throughput,
    Open,
}

struct Args {
    addr: String,
    server_pid: u32,
    mode: Mode,
    connections: usize,
    streams: usize,
    from: i32,
    warmup: f64,
    duration: f64,
    hold: u64,
    clk_tck: f64,
    server_cpu: Option<usize>,
}

fn args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:19010".to_owned(),
        server_pid: 0,
        mode: Mode::Throughput,
        connections: 4,
        streams: 64,
        from: 100_000,
        warmup: 1.0,
        duration: 5.0,
        hold: 8,
        clk_tck: 100.0,
        server_cpu: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .unwrap_or_else(|| fail(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--addr" => args.addr = value.clone(),
            "--server-pid" => args.server_pid = parse(&flag, &value),
            "--mode" => {
                args.mode = match value.as_str() {
                    "throughput" => Mode::Throughput,
                    "open" => Mode::Open,
                    _ => fail("--mode is throughput or open"),
                }
            }
            "--connections" => args.connections = parse(&flag, &value),
            "--streams" => args.streams = parse(&flag, &value),
            "--from" => args.from = parse(&flag, &value),
            "--warmup" => args.warmup = parse(&flag, &value),
            "--duration" => args.duration = parse(&flag, &value),
            "--hold" => args.hold = parse(&flag, &value),
            "--clk-tck" => args.clk_tck = parse(&flag, &value),
            "--server-cpu" => args.server_cpu = Some(parse(&flag, &value)),
            _ => fail(&format!("unknown flag {flag}")),
        }
    }
    if args.server_pid == 0 {
        fail("--server-pid is required");
    }
    if args.connections == 0 || args.streams == 0 || args.from < 1 {
        fail("--connections, --streams and --from must be at least 1");
    }
    args
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| fail(&format!("{flag}: bad value {value}")))
}

fn fail(message: &str) -> ! {
    eprintln!("stream_load: FAILED: {message}");
    std::process::exit(1)
}

/// utime + stime of a process, all its threads, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| fail(&format!("/proc/{pid}/stat: {e}")));
    // The command name may hold spaces; the fields after it are plain numbers.
    let rest = &stat[stat.rfind(") ").map_or(0, |i| i + 2)..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

/// Busy ticks of one core (user, nice, system, irq, softirq, steal), to tell how
/// much else than the server ran on its core during the window; 0 without a core.
fn core_ticks(core: Option<usize>) -> u64 {
    let Some(core) = core else { return 0 };
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let name = format!("cpu{core}");
    stat.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name.as_str()))
        .map_or(0, |fields| {
            [1, 2, 3, 6, 7, 8]
                .iter()
                .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
                .sum()
        })
}

/// Write syscalls and bytes written of a process (`syscw`, `wchar` of
/// `/proc/PID/io`): how many ticks one socket write carries.
fn writes(pid: &str) -> (u64, u64) {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let field = |key: &str| {
        io.lines()
            .find_map(|line| line.strip_prefix(key)?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("syscw:"), field("wchar:"))
}

/// A `/proc/PID/status` line in KiB (VmRSS, VmHWM).
fn status_kib(pid: &str, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| fail(&format!("/proc/{pid}/status: {e}")));
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| fail(&format!("no {key} in /proc/{pid}/status")))
}

/// `n` HTTP/2 connections to `addr`; `stream_window`: the receive window of each
/// stream (tonic's defaults, 2 MiB per stream and 5 MiB per connection, without).
async fn connect(addr: &str, n: usize, stream_window: Option<(u32, u32)>) -> Vec<Channel> {
    let mut endpoint = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap_or_else(|e| fail(&format!("bad address {addr}: {e}")));
    if let Some((stream, connection)) = stream_window {
        endpoint = endpoint
            .initial_stream_window_size(stream)
            .initial_connection_window_size(connection);
    }
    let mut channels = Vec::with_capacity(n);
    for _ in 0..n {
        // `connect` per channel: one HTTP/2 connection each.
        let channel = endpoint
            .connect()
            .await
            .unwrap_or_else(|e| fail(&format!("connect {addr}: {e}")));
        channels.push(channel);
    }
    channels
}

/// Opens `countdown(from)`: the stream of ticks once the reply headers came.
async fn countdown(channel: Channel, from: i32) -> Result<tonic::Streaming<Tick>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<CountdownRequest, Tick>::default();
    let reply = grpc
        .server_streaming(
            Request::new(CountdownRequest { from }),
            PathAndQuery::from_static(PATH),
            codec,
        )
        .await?;
    Ok(reply.into_inner())
}

/// Reads one whole countdown, checking every tick; counts them in `ticks`.
async fn read_all(channel: Channel, from: i32, ticks: &AtomicU64) -> Result<(), String> {
    let mut stream = countdown(channel, from)
        .await
        .map_err(|s| format!("open: {s}"))?;
    let mut expected = from;
    while let Some(tick) = stream.message().await.map_err(|s| format!("read: {s}"))? {
        if tick.n != expected {
            return Err(format!("tick {} where {expected} was due", tick.n));
        }
        expected -= 1;
        ticks.fetch_add(1, Ordering::Relaxed);
    }
    if expected != 0 {
        return Err(format!("the stream ended with {expected} ticks unsent"));
    }
    Ok(())
}

async fn throughput(args: &Args, pid: &str) {
    let channels = connect(&args.addr, args.connections, None).await;
    let ticks = Arc::new(AtomicU64::new(0));
    let streams_done = Arc::new(AtomicU64::new(0));
    for worker in 0..args.streams {
        let channel = channels[worker % channels.len()].clone();
        let (ticks, streams_done, from) = (ticks.clone(), streams_done.clone(), args.from);
        tokio::spawn(async move {
            loop {
                if let Err(e) = read_all(channel.clone(), from, &ticks).await {
                    fail(&format!("countdown({from}): {e}"));
                }
                streams_done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let snapshot = || {
        (
            Instant::now(),
            ticks.load(Ordering::Relaxed),
            streams_done.load(Ordering::Relaxed),
            cpu_ticks(pid),
            cpu_ticks("self"),
            core_ticks(args.server_cpu),
            writes(pid),
        )
    };
    let (t0, m0, s0, c0, own0, core0, w0) = snapshot();
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    let (t1, m1, s1, c1, own1, core1, w1) = snapshot();
    let seconds = (t1 - t0).as_secs_f64();
    let messages = m1 - m0;
    if messages == 0 {
        fail("no tick was read in the measured window");
    }
    let server_cpu = (c1 - c0) as f64 / args.clk_tck;
    let client_cpu = (own1 - own0) as f64 / args.clk_tck;
    // What else ran on the server's core meanwhile: the noise of this window.
    let other = ((core1 - core0).saturating_sub(c1 - c0)) as f64 / args.clk_tck;
    let (write_calls, written) = ((w1.0 - w0.0).max(1), w1.1 - w0.1);
    println!(
        "BENCH messages={messages} streams={} seconds={seconds:.3} msgs_per_s={:.0} \
         streams_per_s={:.1} server_cpu_s={server_cpu:.2} cpu_ns_per_msg={:.1} \
         server_cpu_pct={:.0} client_cpu_pct={:.0} other_on_server_core_pct={:.0} server_hwm_kib={} \
         msgs_per_write={:.1} bytes_per_write={:.0}",
        s1 - s0,
        messages as f64 / seconds,
        (s1 - s0) as f64 / seconds,
        server_cpu * 1e9 / messages as f64,
        server_cpu / seconds * 100.0,
        client_cpu / seconds * 100.0,
        if args.server_cpu.is_some() {
            other / seconds * 100.0
        } else {
            0.0
        },
        status_kib(pid, "VmHWM"),
        messages as f64 / write_calls as f64,
        written as f64 / write_calls as f64,
    );
}

async fn open(args: &Args, pid: &str) {
    let before_kib = status_kib(pid, "VmRSS");
    // Unread ticks hold their connection's window too: with tonic's 5 MiB per
    // connection, the first streams' unread ticks would fill it before the last
    // streams had their first tick. HTTP/2's default 64 KiB per stream, and room
    // for all of them on the connection, let every stream open and fill its own.
    let per_connection = args.streams.div_ceil(args.connections) as u32;
    let window = (
        STREAM_WINDOW,
        STREAM_WINDOW.saturating_mul(per_connection + 1),
    );
    let channels = connect(&args.addr, args.connections, Some(window)).await;
    let opened = Arc::new(AtomicU64::new(0));
    let all_open = Arc::new(tokio::sync::Notify::new());
    let (count_now, count_asked) = tokio::sync::watch::channel(false);
    let (counts_tx, mut counts) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    for i in 0..args.streams {
        let channel = channels[i % channels.len()].clone();
        let (opened, all_open, from, total) = (
            opened.clone(),
            all_open.clone(),
            args.from,
            args.streams as u64,
        );
        let (mut count_asked, counts_tx) = (count_asked.clone(), counts_tx.clone());
        tokio::spawn(async move {
            let mut stream = countdown(channel, from)
                .await
                .unwrap_or_else(|s| fail(&format!("open stream {i}: {s}")));
            match stream.message().await {
                Ok(Some(tick)) if tick.n == from => {}
                other => fail(&format!("stream {i}: first tick {other:?}")),
            }
            if opened.fetch_add(1, Ordering::Relaxed) + 1 == total {
                all_open.notify_one();
            }
            // Held, never read again (the slowest reader there is) until the end,
            // when the ticks that arrived meanwhile are counted: what the server
            // wrote before its writer had to wait.
            let _ = count_asked.wait_for(|asked| *asked).await;
            let _ = counts_tx.send(arrived(&mut stream).await);
            std::future::pending::<()>().await;
            drop(stream);
        });
    }
    if tokio::time::timeout(Duration::from_secs(60), all_open.notified())
        .await
        .is_err()
    {
        fail(&format!(
            "only {} of {} streams opened in 60s",
            opened.load(Ordering::Relaxed),
            args.streams
        ));
    }
    let open_s = started.elapsed().as_secs_f64();
    let open_kib = status_kib(pid, "VmRSS");
    // The writers run until the windows and buffers are full: wait for a second
    // in which the server is idle (at most one clock tick of CPU), then watch.
    let mut samples = Vec::new();
    let mut last_ticks = cpu_ticks(pid);
    let filled = loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = cpu_ticks(pid);
        let busy = now - last_ticks;
        last_ticks = now;
        samples.push(status_kib(pid, "VmRSS").to_string());
        if busy <= 1 {
            break started.elapsed().as_secs_f64();
        }
        if started.elapsed() > Duration::from_secs(120) {
            fail("the server still works after 120s: its writers never waited");
        }
    };
    let full_kib = status_kib(pid, "VmRSS");
    samples.push("|".to_owned());
    for _ in 0..args.hold {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push(status_kib(pid, "VmRSS").to_string());
    }
    let hold_cpu_pct =
        (cpu_ticks(pid) - last_ticks) as f64 / args.clk_tck / args.hold.max(1) as f64 * 100.0;
    let end_kib = status_kib(pid, "VmRSS");
    let hwm_kib = status_kib(pid, "VmHWM");
    // Last, as reading lets the writers go on.
    let _ = count_now.send(true);
    let mut held = Vec::with_capacity(args.streams);
    while held.len() < args.streams {
        match tokio::time::timeout(Duration::from_secs(10), counts.recv()).await {
            Ok(Some(count)) => held.push(count),
            _ => fail("the held streams did not report their ticks"),
        }
    }
    held.sort_unstable();
    println!(
        "BENCH streams={} open_s={open_s:.2} filled_s={filled:.0} before_kib={before_kib} \
         open_kib={open_kib} full_kib={full_kib} end_kib={end_kib} hwm_kib={hwm_kib} \
         kib_per_stream={:.1} hold_cpu_pct={hold_cpu_pct:.1} client_hwm_kib={} \
         held_ticks_min={} held_ticks_median={} held_ticks_max={} rss_kib_per_second={}",
        args.streams,
        (hwm_kib.saturating_sub(before_kib)) as f64 / args.streams as f64,
        status_kib("self", "VmHWM"),
        held[0],
        held[held.len() / 2],
        held[held.len() - 1],
        samples.join(","),
    );
}

/// The ticks of `stream` that arrived and wait unread: read until a read would wait.
async fn arrived(stream: &mut tonic::Streaming<Tick>) -> u64 {
    let mut count = 0;
    // Unconstrained: tokio's task budget would make a ready read look pending.
    while let Ok(Ok(Some(_))) =
        tokio::task::unconstrained(tokio::time::timeout(Duration::ZERO, stream.message())).await
    {
        count += 1;
    }
    count
}

#[tokio::main]
async fn main() {
    let args = args();
    let pid = args.server_pid.to_string();
    match args.mode {
        Mode::Throughput => throughput(&args, &pid).await,
        Mode::Open => open(&args, &pid).await,
    }
    // The workers and held streams end with the process.
    std::process::exit(0);
}
