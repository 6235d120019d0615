//! The helloworld example's request metrics, read by peers this project did not
//! write: the example runs as a real process with `server.http.metrics: /metrics`,
//! takes HTTP calls and grpcio calls, and its page is parsed by the Python
//! `prometheus-client` parser, linted by `promtool check metrics`, and scraped by a
//! real Prometheus server (Debian's `prometheus`, started here on a loopback port
//! with a temporary data dir) that answers `/api/v1/query` with the counter.
//! `bash .ci/setup` installs all three.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::curl;
use crate::process::{Running, config_dir, python_client, start};

const OPERATION: &str = "/helloworld.v1.Greeter/SayHello";
const SETUP: &str = "install it with `bash .ci/setup`";

/// Starts helloworld with the scrape route at `/metrics` (config_dir writes the
/// `server:` section; the key goes under its `http:`).
fn start_with_metrics() -> (tempfile::TempDir, Running) {
    let conf = config_dir("");
    let path = conf.path().join("config.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "    openapi: /q/openapi.json\n",
        "    openapi: /q/openapi.json\n    metrics: /metrics\n",
        1,
    );
    assert!(text.contains("metrics: /metrics"), "{text}");
    std::fs::write(&path, text).unwrap();
    let app = start("helloworld", conf.path());
    (conf, app)
}

/// HTTP GETs of `/helloworld/{name}`, each expected to answer `status`.
async fn greet_http(app: &Running, name: &str, status: u16, times: usize) {
    for _ in 0..times {
        let answer = curl::get(&format!("http://{}/helloworld/{name}", app.http)).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.text());
    }
}

/// grpcio calls of SayHello, one per name: their status code names.
fn greet_grpc(app: &Running, names: &[&str]) -> Value {
    let mut args: Vec<&std::ffi::OsStr> = vec!["greet".as_ref(), app.grpc.as_ref()];
    args.extend(names.iter().map(std::ffi::OsStr::new));
    python_client("metrics_check.py", &args)
}

/// The page as `prometheus-client`'s parser read it (see `metrics_check.py`).
fn parsed(app: &Running) -> Value {
    let url = format!("http://{}/metrics", app.http);
    python_client("metrics_check.py", &["scrape".as_ref(), url.as_ref()])
}

/// The labels of a `server_requests_code_total` series of SayHello.
fn series(kind: &str, code: &str, reason: &str) -> Value {
    json!({"kind": kind, "operation": OPERATION, "code": code, "reason": reason})
}

/// `entries` (objects with `labels` and `value`) sorted, for comparing as sets.
fn sorted(entries: &Value) -> Vec<Value> {
    let mut list = entries.as_array().expect("a list").clone();
    list.sort_by_key(|e| e.to_string());
    list
}

#[tokio::test]
async fn the_scrape_page_is_read_by_prometheus_client_and_a_prometheus_server() {
    let (_conf, app) = start_with_metrics();
    greet_http(&app, "kratos", 200, 3).await;
    greet_http(&app, "unknown", 404, 1).await;
    assert_eq!(
        greet_grpc(&app, &["kratos", "again", "unknown"]),
        json!(["OK", "OK", "NOT_FOUND"])
    );

    let seen = parsed(&app);
    assert_eq!(
        seen["content_type"], "text/plain; version=0.0.4; charset=utf-8",
        "{seen}"
    );
    // The parser names a counter's family without `_total`, its samples with it.
    assert_eq!(
        seen["families"],
        json!({"server_requests_code": "counter", "server_requests_seconds": "histogram"}),
        "{seen}"
    );
    let counted = |labels: Value, value: f64| json!({"labels": labels, "value": value});
    assert_eq!(
        sorted(&seen["counter"]),
        sorted(&json!([
            counted(series("http", "200", ""), 3.0),
            counted(series("http", "404", "USER_NOT_FOUND"), 1.0),
            counted(series("grpc", "200", ""), 2.0),
            counted(series("grpc", "404", "USER_NOT_FOUND"), 1.0),
        ])),
        "{seen}"
    );
    let timed = |kind: &str| json!({"kind": kind, "operation": OPERATION});
    let le = json!([
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"
    ]);
    assert_eq!(
        sorted(&seen["buckets"]),
        sorted(&json!([
            {"labels": timed("http"), "le": le},
            {"labels": timed("grpc"), "le": le},
        ])),
        "{seen}"
    );
    assert_eq!(
        sorted(&seen["count"]),
        sorted(&json!([
            counted(timed("http"), 4.0),
            counted(timed("grpc"), 3.0)
        ])),
        "{seen}"
    );

    let prometheus = Prometheus::start(&app.http);
    let result = prometheus
        .wait_for(r#"server_requests_code_total{kind="http",code="200"}"#)
        .await;
    let value = &result["value"][1];
    assert_eq!(value, "3", "{result}");
    assert_eq!(result["metric"]["job"], "helloworld", "{result}");
    assert_eq!(result["metric"]["operation"], OPERATION, "{result}");
}

/// A histogram keeps every value recorded until it is drained, and the Prometheus
/// recorder leaves draining to its owner: a server nobody scrapes would grow by 8
/// bytes per call for ever. The helloworld with metrics on runs the thread that
/// drains it (kratos-transport/src/http/metrics.rs; its effect on memory under load
/// is measured in bench/RESULTS.md, "The Prometheus recorder's upkeep").
#[tokio::test]
async fn a_server_with_metrics_drains_its_histograms_without_being_scraped() {
    let (_conf, app) = start_with_metrics();
    greet_http(&app, "kratos", 200, 1).await;
    let tasks = format!("/proc/{}/task", app.child.id());
    let names: Vec<String> = std::fs::read_dir(&tasks)
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(
        names.iter().any(|name| name == "metrics-upkeep"),
        "no upkeep thread among {names:?}"
    );
}

#[tokio::test]
async fn promtool_check_metrics_passes_on_the_scrape_page() {
    let (_conf, app) = start_with_metrics();
    greet_http(&app, "kratos", 200, 1).await;
    greet_http(&app, "unknown", 404, 1).await;
    assert_eq!(greet_grpc(&app, &["kratos"]), json!(["OK"]));
    let page = curl::get(&format!("http://{}/metrics", app.http)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("server_requests_seconds_bucket"),
        "{}",
        page.text()
    );

    let (status, stdout, stderr) = promtool_check(page.text());
    assert!(
        status.success() && !stdout.to_lowercase().contains("error"),
        "promtool check metrics: {status}\nstdout: {stdout}\nstderr: {stderr}\npage:\n{}",
        page.text()
    );
}

#[tokio::test]
async fn a_panic_is_counted_as_a_500_unknown_on_both_transports() {
    let (_conf, app) = start_with_metrics();
    greet_http(&app, "panic", 500, 1).await;
    assert_eq!(greet_grpc(&app, &["panic"]), json!(["INTERNAL"]));

    let seen = parsed(&app);
    let counted = |labels: Value| json!({"labels": labels, "value": 1.0});
    assert_eq!(
        sorted(&seen["counter"]),
        sorted(&json!([
            counted(series("http", "500", "UNKNOWN")),
            counted(series("grpc", "500", "UNKNOWN")),
        ])),
        "{seen}"
    );
    let timed = |kind: &str| json!({"kind": kind, "operation": OPERATION});
    assert_eq!(
        sorted(&seen["count"]),
        sorted(&json!([counted(timed("http")), counted(timed("grpc"))])),
        "{seen}"
    );
}

#[tokio::test]
async fn clients_built_in_main_are_counted_as_clients() {
    // The relay example builds its Greeter client in `main`; with the scrape route
    // on, `#[kratos::main]` gave that client the client metrics.
    let next = start("helloworld", config_dir("").path());
    let conf = config_dir(&format!("relay:\n  target: grpc://{}\n", next.grpc));
    let path = conf.path().join("config.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "    openapi: /q/openapi.json\n",
        "    openapi: /q/openapi.json\n    metrics: /metrics\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let relay = start("relay", conf.path());
    greet_http(&relay, "kratos", 200, 2).await;
    greet_http(&relay, "unknown", 404, 1).await;
    let page = curl::get(&format!("http://{}/metrics", relay.http)).await;
    let client = |code: &str, reason: &str, value: u32| {
        format!(
            "client_requests_code_total{{kind=\"grpc\",operation=\"{OPERATION}\",code=\"{code}\",reason=\"{reason}\"}} {value}"
        )
    };
    for line in [client("200", "", 2), client("404", "USER_NOT_FOUND", 1)] {
        assert!(
            page.text().lines().any(|l| l == line),
            "{line}\n{}",
            page.text()
        );
    }
}

/// `promtool check metrics` with `page` on its stdin: its exit status, stdout and stderr.
fn promtool_check(page: &str) -> (std::process::ExitStatus, String, String) {
    use std::io::Write;
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool does not run ({e}): {SETUP}"));
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A Prometheus server scraping one target every second; killed when dropped.
struct Prometheus {
    child: Child,
    /// `host:port` of its web API.
    web: String,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts `prometheus` on a free loopback port, scraping `target`'s `/metrics`
    /// as the job `helloworld`, with its data in a temporary dir.
    fn start(target: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: helloworld\n    metrics_path: /metrics\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let web = format!("127.0.0.1:{}", free_port());
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("prometheus does not run ({e}): {SETUP}"));
        Prometheus { child, web, dir }
    }

    /// Waits (two minutes at most, a guard against hanging) until `/api/v1/query`
    /// answers `query` with a series, and returns the first.
    async fn wait_for(&self, query: &str) -> Value {
        let url = format!("http://{}/api/v1/query?query={}", self.web, encode(query));
        let guard = Instant::now() + Duration::from_secs(120);
        let mut last = String::new();
        loop {
            if let Ok(answer) = curl::try_send("GET", &url, &[], "").await {
                last = format!(
                    "{} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                if answer.status == 200 {
                    let json = answer.json();
                    assert_eq!(json["status"], "success", "{json}");
                    if let Some(first) = json["data"]["result"].get(0) {
                        return first.clone();
                    }
                }
            }
            assert!(
                Instant::now() < guard,
                "Prometheus never answered {query} with a series; last answer: {last}\nits log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free at the time of asking.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `text` percent-encoded for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
