//! The load client of bench/overload.sh: an open-loop HTTP/1.1 load (requests sent
//! at a fixed rate, whatever the server answers, as users keep arriving) of
//! `GET /helloworld/<name>`, each request bounded by a timeout.
//!
//! ```text
//! overload --url http://127.0.0.1:18001/helloworld/kratos --rate 20000 --duration 10
//! ```
//!
//! Prints one `BENCH key=value ...` line: the offered rate, goodput (200s per
//! second), the p50 and p99 latency of the 200s, and the shares answered 429,
//! answered otherwise (5xx), timed out, and not sent because `--max-in-flight`
//! requests were already waiting (the client's own bound, so an overloaded server
//! cannot make it grow without end).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

/// How one request ended.
enum Outcome {
    Ok(Duration),
    Refused,
    Failed,
    TimedOut,
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url: http::Uri = arg(&args, "--url", "http://127.0.0.1:18001/helloworld/kratos")
        .parse()
        .expect("--url");
    let rate: f64 = arg(&args, "--rate", "10000").parse().expect("--rate");
    let duration =
        Duration::from_secs_f64(arg(&args, "--duration", "10").parse().expect("--duration"));
    let timeout = Duration::from_secs_f64(arg(&args, "--timeout", "2").parse().expect("--timeout"));
    let max_in_flight: usize = arg(&args, "--max-in-flight", "4000")
        .parse()
        .expect("--max-in-flight");

    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(max_in_flight)
        .build_http();
    let (done, mut outcomes) = mpsc::unbounded_channel();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut skipped = 0u64;
    let mut sent = 0u64;
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    while started.elapsed() < duration {
        ticker.tick().await;
        if in_flight.load(Ordering::Relaxed) >= max_in_flight {
            skipped += 1;
            continue;
        }
        sent += 1;
        in_flight.fetch_add(1, Ordering::Relaxed);
        let (client, url, done, in_flight) =
            (client.clone(), url.clone(), done.clone(), in_flight.clone());
        tokio::spawn(async move {
            let begun = Instant::now();
            let call = async {
                let response = client.get(url).await.ok()?;
                let status = response.status().as_u16();
                response.into_body().collect().await.ok()?;
                Some(status)
            };
            let outcome = match tokio::time::timeout(timeout, call).await {
                Ok(Some(200)) => Outcome::Ok(begun.elapsed()),
                Ok(Some(429)) => Outcome::Refused,
                Ok(_) => Outcome::Failed,
                Err(_) => Outcome::TimedOut,
            };
            in_flight.fetch_sub(1, Ordering::Relaxed);
            let _ = done.send(outcome);
        });
    }
    drop(done);
    let (mut ok, mut refused, mut failed, mut timed_out) = (Vec::new(), 0u64, 0u64, 0u64);
    while let Some(outcome) = outcomes.recv().await {
        match outcome {
            Outcome::Ok(latency) => ok.push(latency),
            Outcome::Refused => refused += 1,
            Outcome::Failed => failed += 1,
            Outcome::TimedOut => timed_out += 1,
        }
    }
    ok.sort();
    let percentile = |p: f64| {
        ok.get(((ok.len() as f64 * p) as usize).min(ok.len().saturating_sub(1)))
            .map_or(0, |d| d.as_micros())
    };
    let offered = (sent + skipped) as f64;
    let share = |n: u64| n as f64 / offered.max(1.0);
    println!(
        "BENCH offered_rps={:.0} goodput_rps={:.0} ok_p50_us={} ok_p99_us={} refused={:.3} failed={:.3} timed_out={:.3} not_sent={:.3}",
        offered / duration.as_secs_f64(),
        ok.len() as f64 / duration.as_secs_f64(),
        percentile(0.50),
        percentile(0.99),
        share(refused),
        share(failed),
        share(timed_out),
        share(skipped),
    );
}
