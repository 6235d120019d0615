//! The files example as a user runs it, with clients this project did not write:
//! `curl -F` and Python `requests` (`files=`) upload through the multipart binding
//! (past the server's 4 MiB default, within the route's 32 MiB), `curl -o` downloads
//! the raw HttpBody checked by size and SHA-256, and Python grpcio stubs compiled
//! from the exported `.proto` send and receive the same messages over gRPC. The
//! streamed route (`/v1/files:stream`, FormChunk) takes a 50 MiB upload from
//! requests-toolbelt's MultipartEncoder with the server's peak memory growing by a
//! fraction of the file, and `curl -F` as well; what it wrote is downloaded back.

use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::process::{Running, config_dir, start};

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

/// The files example with its streamed uploads written under `files`.
fn start_files(files: &std::path::Path) -> (tempfile::TempDir, Running) {
    let conf = config_dir(&format!("files:\n  dir: {}\n", files.display()));
    let app = start("files", conf.path());
    (conf, app)
}

/// The SHA-256 of the file at `path`, read a block at a time.
fn sha256_file(path: &std::path::Path) -> (u64, String) {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let (mut hash, mut size, mut block) = (Sha256::new(), 0u64, vec![0; 1 << 20]);
    loop {
        let n = file.read(&mut block).unwrap();
        if n == 0 {
            return (
                size,
                hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            );
        }
        size += n as u64;
        hash.update(&block[..n]);
    }
}

/// Downloads `url` with `curl -o` into `to`; the response headers, lowercased.
fn curl_download(url: &str, to: &std::path::Path) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "120", "-D", "-", "-o"])
        .arg(to)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_ascii_lowercase()
}

#[test]
fn curl_and_requests_upload_and_curl_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let (_conf, app) = start_files(dir.path());
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
    let headers = curl_download(&format!("{url}/big.bin"), &saved);
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

/// The most the example's peak RSS may grow by while it takes a 50 MiB streamed
/// upload: under half the file, which a reader holding the body could not meet.
const STREAM_GROWTH_KIB: u64 = 24 << 10;

#[test]
fn a_streamed_upload_keeps_the_servers_memory_bounded_and_downloads_back() {
    let files = tempfile::tempdir().unwrap();
    let source = tempfile::tempdir().unwrap();
    let (_conf, app) = start_files(files.path());
    let url = format!("http://{}/v1/files:stream", app.http);
    let pid = app.child.id().to_string();
    let seen = crate::process::python_client(
        "files_stream_upload.py",
        &[
            url.as_ref(),
            pid.as_ref(),
            "50".as_ref(),
            source.path().as_os_str(),
        ],
    );
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(
        seen["reply"],
        json!({"name": "big.bin", "size": "52428800", "sha256": seen["sha256"]}),
        "{seen}"
    );
    let before = seen["hwm_before_kib"].as_u64().unwrap();
    let after = seen["hwm_after_kib"].as_u64().unwrap();
    assert!(
        after.saturating_sub(before) < STREAM_GROWTH_KIB,
        "peak RSS grew by {} KiB for a 50 MiB upload: {seen}",
        after.saturating_sub(before)
    );
    // Written to files.dir as it came: one file of the upload's size.
    let written: Vec<_> = std::fs::read_dir(files.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(std::fs::metadata(&written[0]).unwrap().len(), 50 << 20);

    let saved = source.path().join("back.bin");
    let headers = curl_download(&format!("http://{}/v1/files/big.bin", app.http), &saved);
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(
        headers.contains("content-type: application/x-big"),
        "{headers}"
    );
    assert!(
        headers.contains("content-disposition: attachment; filename=\"big.bin\""),
        "{headers}"
    );
    let (size, sha256) = sha256_file(&saved);
    assert_eq!(size, 50 << 20);
    assert_eq!(sha256, seen["sha256"].as_str().unwrap());
}

#[test]
fn curl_streams_a_form_and_a_body_that_is_not_one_is_400() {
    let files = tempfile::tempdir().unwrap();
    let (_conf, app) = start_files(files.path());
    let url = format!("http://{}/v1/files:stream", app.http);
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let file = dir.path().join("c.bin");
    std::fs::write(&file, &data).unwrap();
    // The file part first, its name after it: the form is read in order.
    let (status, body) = curl(&[
        "-F",
        &format!("file=@{};type=text/x-c", file.display()),
        "-F",
        "name=c.bin",
        &url,
    ]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"name": "c.bin", "size": "3145728", "sha256": sha256_hex(&data)})
    );
    let saved = dir.path().join("back.bin");
    let headers = curl_download(&format!("http://{}/v1/files/c.bin", app.http), &saved);
    assert!(headers.contains("content-type: text/x-c"), "{headers}");
    assert_eq!(std::fs::read(&saved).unwrap(), data);

    // Not a form: 400 CODEC saying what to send.
    let (status, body) = curl(&["-H", "content-type: application/json", "-d", "{}", &url]);
    assert_eq!(status, 400, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["reason"], "CODEC", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("send multipart/form-data"),
        "{error}"
    );
    // A form without its name: the handler's 400, and nothing left on disk.
    let (status, body) = curl(&["-F", &format!("file=@{}", file.display()), &url]);
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["reason"],
        "BAD_UPLOAD"
    );
    assert_eq!(std::fs::read_dir(files.path()).unwrap().count(), 1);
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
    let files = tempfile::tempdir().unwrap();
    let (_conf, app) = start_files(files.path());
    let seen = crate::process::python_client(
        "files_grpc_client.py",
        &[out.path().as_os_str(), app.grpc.as_ref()],
    );
    assert_eq!(seen["is_google_http_body"], true, "{seen}");
    assert_eq!(seen["upload"]["sha256"], seen["expected_sha256"], "{seen}");
    assert_eq!(seen["upload"]["size"], 1_048_580, "{seen}");
    assert_eq!(
        seen["streamed"],
        json!({"name": "s.bin", "size": 1_048_580, "sha256": seen["expected_sha256"]})
    );
    // A download is a server stream of 64 KiB chunks over gRPC too.
    assert_eq!(
        seen["download"],
        json!({"content_type": "application/x-test", "chunks": 17, "size": 1_048_580, "sha256": seen["expected_sha256"]})
    );
    assert_eq!(seen["missing"], "NOT_FOUND", "{seen}");
}
