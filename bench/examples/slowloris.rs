//! A slowloris run against the helloworld example: many connections that never
//! finish a request, while a few clients keep sending normal requests. Reports the
//! descriptors the server holds over time (`/proc/PID/fd`), when the server closed
//! the slow connections, and the latency of the normal requests meanwhile.
//!
//! ```text
//! cargo build --release --example helloworld
//! cargo run --release -p kratos-bench --example slowloris -- --slow 1500 --watch 20
//! cargo run --release -p kratos-bench --example slowloris -- --slow 1500 --config "max_connections: 1000"
//! cargo run --release -p kratos-bench --example slowloris -- --binary /path/to/older/helloworld
//! cargo run --release -p kratos-bench --example slowloris -- --slow 200 --stuck-grpc 20 \
//!     --stop-timeout 2s --config "header_read_timeout: 60s"
//! ```
//!
//! Flags: `--binary` the server [target/release/examples/helloworld], `--slow` slow
//! connections [1500], `--watch` seconds to watch [20], `--clients` normal clients
//! [4], `--config` extra `server.http` lines (YAML, `;`-separated), `--stuck-grpc`
//! gRPC calls whose request message never comes [0], `--stop-timeout` sets
//! `app.stop_timeout` and ends the run with SIGTERM, timing the exit. Each slow
//! connection sends one of: nothing, half a request line, headers without their end,
//! half the HTTP/2 preface; it never sends more and reads until the server closes it.
//! Only loopback is used; the server is started here and killed at the end.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const SHAPES: [(&str, &[u8]); 4] = [
    ("nothing", b""),
    ("half request line", b"GET /hellow"),
    (
        "unfinished headers",
        b"GET /helloworld/x HTTP/1.1\r\nhost: x\r\nx-slow: 1\r\n",
    ),
    ("half HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
];

struct Args {
    binary: String,
    slow: usize,
    watch: u64,
    clients: usize,
    config: String,
    stuck_grpc: usize,
    stop_timeout: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        binary: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/release/examples/helloworld"
        )
        .to_owned(),
        slow: 1500,
        watch: 20,
        clients: 4,
        config: String::new(),
        stuck_grpc: 0,
        stop_timeout: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--binary" => args.binary = value,
            "--slow" => args.slow = value.parse().expect("--slow N"),
            "--watch" => args.watch = value.parse().expect("--watch SECONDS"),
            "--clients" => args.clients = value.parse().expect("--clients N"),
            "--config" => args.config = value,
            "--stuck-grpc" => args.stuck_grpc = value.parse().expect("--stuck-grpc N"),
            "--stop-timeout" => args.stop_timeout = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// One normal client: keep-alive GETs in a loop, each timed.
async fn normal_client(
    addr: String,
    until: Instant,
    latencies: Arc<Mutex<Vec<Duration>>>,
    failures: Arc<AtomicUsize>,
) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let url: http::Uri = format!("http://{addr}/helloworld/kratos").parse().unwrap();
    let mut mine = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let answered = tokio::time::timeout(Duration::from_secs(30), async {
            let response = client.get(url.clone()).await.ok()?;
            let ok = response.status() == 200;
            response.into_body().collect().await.ok()?;
            Some(ok)
        })
        .await;
        match answered {
            Ok(Some(true)) => mine.push(started.elapsed()),
            _ => {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies.lock().await.extend(mine);
}

#[tokio::main]
async fn main() {
    let args = args();
    let dir = std::env::temp_dir().join(format!("kratos-slowloris-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let extra: String = args
        .config
        .split(';')
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("    {}\n", l.trim()))
        .collect();
    std::fs::write(
        dir.join("config.yaml"),
        format!(
            "{app}server:\n  http:\n    addr: 127.0.0.1:0\n{extra}  grpc:\n    addr: 127.0.0.1:0\n{extra}",
            app = args
                .stop_timeout
                .as_ref()
                .map(|t| format!("app:\n  stop_timeout: {t}\n"))
                .unwrap_or_default(),
        ),
    )
    .unwrap();
    let mut child = Command::new(&args.binary)
        .arg("-conf")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", args.binary));
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains("app started"))
        .expect("the server logs `app started`");
    std::thread::spawn(move || lines.for_each(drop));
    let at = started.find("http://").unwrap() + 7;
    let addr = started[at..started[at..].find('"').unwrap() + at].to_owned();
    let at = started.find("grpc://").unwrap() + 7;
    let grpc = started[at..started[at..].find('"').unwrap() + at].to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline = open_fds(pid);
    println!(
        "server {} pid {pid} at {addr}; config: {:?}",
        args.binary, args.config
    );
    println!("descriptors before: {baseline}");

    let attack = Instant::now();
    let closed = Arc::new(Mutex::new(Vec::new()));
    let opened = Arc::new(AtomicUsize::new(0));
    // Connecting runs beside the sampling: past max_connections a connect waits in
    // the listen backlog, and the descriptors are watched from the first one.
    let opener = {
        let (closed, opened, addr, slow) =
            (closed.clone(), opened.clone(), addr.clone(), args.slow);
        tokio::spawn(async move {
            for i in 0..slow {
                let (shape, bytes) = SHAPES[i % SHAPES.len()];
                let Ok(mut stream) = TcpStream::connect(&addr).await else {
                    continue;
                };
                if stream.write_all(bytes).await.is_err() {
                    continue;
                }
                opened.fetch_add(1, Ordering::Relaxed);
                let closed = closed.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                    closed.lock().await.push((shape, attack.elapsed()));
                });
            }
            attack.elapsed()
        })
    };

    let until = attack + Duration::from_secs(args.watch);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..args.clients)
        .map(|_| {
            tokio::spawn(normal_client(
                addr.clone(),
                until,
                latencies.clone(),
                failures.clone(),
            ))
        })
        .collect();
    let mut peak = 0;
    println!(
        "\n| t (s) | server descriptors | slow connections connected and open |\n| ---: | ---: | ---: |"
    );
    while Instant::now() < until {
        let fds = open_fds(pid);
        peak = peak.max(fds);
        let open = opened.load(Ordering::Relaxed) - closed.lock().await.len();
        println!(
            "| {:>4.1} | {fds} | {open} |",
            attack.elapsed().as_secs_f64()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let connecting = opener.await.unwrap();
    let opened = opened.load(Ordering::Relaxed);
    println!(
        "\nslow connections connected: {opened} of {}, the last after {connecting:.2?}",
        args.slow
    );
    for client in clients {
        let _ = client.await;
    }
    let after = open_fds(pid);

    let mut closed = closed.lock().await.clone();
    closed.sort_by_key(|(_, at)| *at);
    let mut latencies = latencies.lock().await.clone();
    latencies.sort();
    println!("\ndescriptors: before {baseline}, peak {peak}, after {after}");
    println!(
        "slow connections closed by the server within {}s: {} of {opened}",
        args.watch,
        closed.len()
    );
    if let (Some(first), Some(last)) = (closed.first(), closed.last()) {
        let middle = closed[closed.len() / 2].1;
        println!(
            "  closed after: first {:.2}s, median {:.2}s, last {:.2}s",
            first.1.as_secs_f64(),
            middle.as_secs_f64(),
            last.1.as_secs_f64()
        );
    }
    for (shape, _) in SHAPES {
        let n = closed.iter().filter(|(s, _)| *s == shape).count();
        println!("  {shape}: {n} closed");
    }
    println!(
        "normal requests ({} clients) during the run: {} ok, {} failed; p50 {:?}, p99 {:?}, max {:?}",
        args.clients,
        latencies.len(),
        failures.load(Ordering::Relaxed),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
    let mut stuck = Vec::new();
    for _ in 0..args.stuck_grpc {
        stuck.push(stuck_call(&grpc).await);
    }
    if let Some(stop_timeout) = &args.stop_timeout {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let open = opened - closed.len();
        let term = Instant::now();
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        let exited = loop {
            if child.try_wait().unwrap().is_some() {
                break Some(term.elapsed());
            }
            if term.elapsed() > Duration::from_secs(120) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        println!(
            "SIGTERM with {open} slow connections and {} stuck gRPC calls open, app.stop_timeout {stop_timeout}: exited after {exited:.2?}",
            stuck.len()
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// An HTTP/2 request body that never sends anything.
struct NeverBody;

impl hyper::body::Body for NeverBody {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

/// A gRPC call whose request message never comes: in flight until the server gives up.
async fn stuck_call(grpc: &str) -> tokio::task::JoinHandle<()> {
    let io = hyper_util::rt::TokioIo::new(TcpStream::connect(grpc).await.unwrap());
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::post(format!("http://{grpc}/helloworld.v1.Greeter/SayHello"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(NeverBody)
        .unwrap();
    tokio::spawn(async move {
        let _ = sender.send_request(request).await;
    })
}
