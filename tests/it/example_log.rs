//! The log of a real process as `log.format: json` and `log.level` set it: one
//! JSON object per line with the service's name, version and id, the event's
//! fields, and the filter the config names.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::curl;
use crate::process::{config_dir, example_binary};

#[tokio::test]
async fn json_log_lines_carry_the_service_and_the_call() {
    let conf = config_dir("log:\n  format: json\n  level: info\n");
    let mut child = Command::new(example_binary("helloworld"))
        .arg("-conf")
        .arg(conf.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Lines come through a channel, so a missing one fails the test (after a
    // generous guard) instead of hanging it.
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let next = || {
        lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the next log line")
    };
    let mut seen = Vec::new();
    let started: Value = loop {
        let line = next();
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        seen.push(value.clone());
        if value["message"] == "app started" {
            break value;
        }
    };
    assert_eq!(started["level"], "INFO");
    assert_eq!(started["service.name"], "helloworld");
    assert!(started["service.version"].is_string());
    assert!(
        started["service.id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(
        started["timestamp"]
            .as_str()
            .is_some_and(|t| t.contains('T'))
    );
    // The endpoints field, as the event recorded it.
    let endpoints = started["endpoints"].as_str().expect("endpoints").to_owned();
    let start = endpoints.find("http://").unwrap() + "http://".len();
    let http = &endpoints[start..];
    let http = &http[..http.find('"').unwrap()];
    // A 500 is logged at error level with its fields, in the same form.
    assert_eq!(
        curl::get(&format!("http://{http}/helloworld/panic"))
            .await
            .status,
        500
    );
    let failure: Value = loop {
        let line = next();
        let value: Value = serde_json::from_str(&line).unwrap();
        if value["level"] == "ERROR"
            && value["message"] == "call failed"
            && value["fields.message"] == "unknown request error"
        {
            break value;
        }
    };
    assert_eq!(failure["operation"], "/helloworld.v1.Greeter/SayHello");
    assert_eq!(failure["code"], 500);
    assert_eq!(failure["service.name"], "helloworld");
    // `log.level: info` filters out debug events.
    assert!(seen.iter().all(|v| v["level"] != "DEBUG"), "{seen:?}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_bad_log_format_is_refused_at_start_naming_the_key() {
    let conf = config_dir("log:\n  format: xml\n");
    let output = Command::new(example_binary("helloworld"))
        .arg("-conf")
        .arg(conf.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"log.format\""), "{stderr}");
}
