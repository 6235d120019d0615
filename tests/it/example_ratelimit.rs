//! The rate limiter as a user turns it on (`middleware.ratelimit: true`), in real
//! processes on a loaded machine: the relay example (whose calls wait on the
//! helloworld example, so they pile up in flight when the CPU is short) sheds with
//! Go kratos's 429 `RATELIMIT` over HTTP and `RESOURCE_EXHAUSTED` with reason
//! `RATELIMIT` to a grpcio client while Debian's `stress-ng` keeps every core busy,
//! and takes a burst of calls again once the load is gone. BBR reads the CPU of
//! the process's cgroup, which holds stress-ng too, as a container's does.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::curl;
use crate::process::{Running, config_dir, python_client, start};

/// `stress-ng` busy on every core for at most a minute; stopped when dropped, with
/// SIGTERM, on which it stops its workers too (SIGKILL would leave them running).
struct Stress(Child);

impl Stress {
    fn start() -> Stress {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // At the lowest priority: the cores read as busy (what BBR measures), yet
        // the servers and the other tests of this process still get them first.
        let child = Command::new("nice")
            .args(["-n", "19", "stress-ng", "--cpu", &cores.to_string()])
            .args(["--timeout", "60s", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("stress-ng does not run ({e}): install it with `bash .ci/setup`")
            });
        Stress(child)
    }
}

impl Drop for Stress {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The relay with the limiter on, in front of a helloworld.
fn start_relay() -> (Vec<tempfile::TempDir>, Running, Running) {
    let next_conf = config_dir("");
    let next = start("helloworld", next_conf.path());
    let conf = config_dir(&format!(
        "relay:\n  target: grpc://{}\nmiddleware:\n  ratelimit: true\n",
        next.grpc
    ));
    let relay = start("relay", conf.path());
    (vec![next_conf, conf], next, relay)
}

/// `calls` GETs of `url` at once: the status and body of each.
async fn burst(url: &str, calls: usize) -> Vec<(u16, String)> {
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move {
                let answer = curl::get(&url).await;
                (answer.status, answer.text().to_owned())
            })
        })
        .collect();
    let mut seen = Vec::with_capacity(calls);
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loaded_server_sheds_with_429_and_resource_exhausted_then_recovers() {
    let (_confs, _next, relay) = start_relay();
    let url = format!("http://{}/helloworld/kratos", relay.http);
    assert_eq!(curl::get(&url).await.status, 200);

    let stress = Stress::start();
    // Bursts until one is shed: BBR needs a few samples of the load (500 ms each).
    let guard = Instant::now() + Duration::from_secs(50);
    let refused = loop {
        let seen = burst(&url, 200).await;
        if let Some((_, body)) = seen.iter().find(|(status, _)| *status == 429) {
            break body.clone();
        }
        assert!(
            seen.iter().all(|(status, _)| *status == 200),
            "only 200 or 429: {seen:?}"
        );
        assert!(Instant::now() < guard, "never shed under stress-ng");
    };
    let refused: Value = serde_json::from_str(&refused).unwrap();
    assert_eq!(
        refused,
        json!({
            "code": 429,
            "reason": "RATELIMIT",
            "message": "service unavailable due to rate limit exceeded",
            "metadata": {}
        })
    );
    let grpc = python_client(
        "ratelimit_client.py",
        &[
            relay.grpc.as_ref(),
            "kratos".as_ref(),
            "--until-refused".as_ref(),
            "40".as_ref(),
        ],
    );
    assert_eq!(grpc["refused"]["code"], "RESOURCE_EXHAUSTED", "{grpc}");
    assert_eq!(
        grpc["refused"]["error_info"][0]["reason"], "RATELIMIT",
        "{grpc}"
    );
    drop(stress);

    // Without the load, the CPU average falls under the threshold and a burst is
    // served whole again.
    let guard = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = burst(&url, 16).await;
        if seen.iter().all(|(status, _)| *status == 200) {
            break;
        }
        assert!(
            Instant::now() < guard,
            "still shedding a minute after the load: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
