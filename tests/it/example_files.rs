//! The files example as a user runs it, with clients this project did not write:
//! `curl -F` and Python `requests` (`files=`) upload through the multipart binding
//! (past the server's 4 MiB default, within the route's 32 MiB), `curl -o` downloads
//! the raw HttpBody checked by size and SHA-256, and Python grpcio stubs compiled
//! from the exported `.proto` send and receive the same messages over gRPC.

use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::process::{config_dir, start};

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `curl` with `args`; its stdout, which ends with the status `-w` wrote.
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "120", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("a status line");
    (status.parse().expect("a status"), body.to_owned())
}

#[test]
fn curl_and_requests_upload_and_curl_downloads() {
    let conf = config_dir("");
    let app = start("files", conf.path());
    let dir = tempfile::tempdir().unwrap();
    // 5 MiB: over the server's default body limit, under the route's 32 MiB.
    let data: Vec<u8> = (0..5u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, &data).unwrap();
    let url = format!("http://{}/v1/files", app.http);

    let (status, body) = curl(&[
        "-F",
        "name=big.bin",
        "-F",
        &format!("file=@{};type=application/x-big", file.display()),
        &url,
    ]);
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        reply,
        json!({"name": "big.bin", "size": "5242880", "sha256": sha256_hex(&data)})
    );

    let saved = dir.path().join("saved.bin");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "120", "-D", "-", "-o"])
        .arg(&saved)
        .arg(format!("{url}/big.bin"))
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(
        headers.contains("content-type: application/x-big"),
        "{headers}"
    );
    assert!(
        headers.contains("content-disposition: attachment; filename=\"big.bin\""),
        "{headers}"
    );
    let back = std::fs::read(&saved).unwrap();
    assert_eq!(back.len(), data.len());
    assert_eq!(sha256_hex(&back), sha256_hex(&data));

    let script = r#"
import sys, json, requests
r = requests.post(sys.argv[1], data={"name": "notes.txt"},
                  files={"file": ("notes.txt", b"hello files", "text/plain")}, timeout=60)
d = requests.get(sys.argv[1] + "/notes.txt", timeout=60)
print(json.dumps({"status": r.status_code, "reply": r.json(), "download": d.text,
                  "type": d.headers["content-type"]}))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        seen,
        json!({"status": 200,
               "reply": {"name": "notes.txt", "size": "11", "sha256": sha256_hex(b"hello files")},
               "download": "hello files", "type": "text/plain"})
    );

    let (status, body) = curl(&[&format!("{url}/nothing")]);
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["reason"],
        "NOT_FOUND"
    );

    // Past the route's 32 MiB: 413.
    let huge = dir.path().join("huge.bin");
    std::fs::write(&huge, vec![0u8; (32 << 20) + 1]).unwrap();
    let (status, body) = curl(&[
        "-F",
        "name=huge",
        "-F",
        &format!("file=@{}", huge.display()),
        &url,
    ]);
    assert_eq!(status, 413, "{body}");
}

#[test]
#[cfg(feature = "proto-export")]
fn grpcio_stubs_from_the_exported_proto_send_file_parts_and_get_http_bodies() {
    let out = tempfile::tempdir().unwrap();
    let export = Command::new(crate::process::example_binary("files"))
        .arg("-export-proto")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let conf = config_dir("");
    let app = start("files", conf.path());
    let seen = crate::process::python_client(
        "files_grpc_client.py",
        &[out.path().as_os_str(), app.grpc.as_ref()],
    );
    assert_eq!(seen["is_google_http_body"], true, "{seen}");
    assert_eq!(seen["upload"]["sha256"], seen["expected_sha256"], "{seen}");
    assert_eq!(seen["upload"]["size"], 1_048_580, "{seen}");
    assert_eq!(
        seen["download"],
        json!({"content_type": "application/x-test", "size": 1_048_580, "sha256": seen["expected_sha256"]})
    );
    assert_eq!(seen["missing"], "NOT_FOUND", "{seen}");
}
