//! The worst decode time per codec for a request body at the size limit (4 MiB), and
//! whether a normal request is answered while such bodies arrive.
//!
//! ```text
//! cargo run --release -p kratos-bench --example decode_worst            # decode table
//! cargo run --release -p kratos-bench --example decode_worst -- --serve # under load
//! cargo run --release -p kratos-bench --example decode_worst -- --max 262144
//! ```
//!
//! Each body is decoded once through the registered codec, as the HTTP route does
//! (`kratos::encoding::get(name).decode(..)`), into a recursive message. `--max`
//! caps the body size, for builds where the worst bodies take minutes. Only APIs
//! that predate the nesting limit are used, so the same file measures an older tree.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kratos::prelude::*;

/// A message that holds itself, with a list, a oneof and a map beside it.
#[kratos::message]
pub struct Node {
    pub name: String,
    pub child: Option<Box<Node>>,
    pub tags: Vec<String>,
    pub display_name: String,
    pub choice: Option<Choice>,
    pub labels: HashMap<String, String>,
}

/// Two alternatives of one oneof.
#[kratos::message]
pub enum Choice {
    Text(String),
    Number(i64),
}

/// How many tags the server saw.
#[kratos::message]
pub struct Summary {
    pub tags: u32,
}

#[kratos::service(package = "bench.v1")]
pub trait Tree {
    #[route(post = "/v1/nodes", body = "*")]
    async fn create(&self, req: Node) -> kratos::Result<Summary>;

    #[route(get = "/v1/nodes/{name}")]
    async fn get(&self, req: Node) -> kratos::Result<Summary>;
}

pub struct TreeImpl;

impl Tree for TreeImpl {
    async fn create(&self, req: Node) -> kratos::Result<Summary> {
        Ok(Summary {
            tags: req.tags.len() as u32,
        })
    }

    async fn get(&self, _req: Node) -> kratos::Result<Summary> {
        Ok(Summary::default())
    }
}

/// The HTTP body size limit of generated routes.
const LIMIT: usize = 4 * 1024 * 1024;
/// The nesting the framework allows below the top level.
const DEPTH: usize = 100;

/// `open` `depth` times, then `fill` repeated up to `size` (with `sep` between), then `close` `depth` times.
fn body(
    head: &str,
    open: &str,
    depth: usize,
    fill: &str,
    close: &str,
    tail: &str,
    size: usize,
) -> Vec<u8> {
    let mut out = String::with_capacity(size);
    out.push_str(head);
    out.push_str(&open.repeat(depth));
    let end = close.len() * depth + tail.len();
    while out.len() + fill.len() + end <= size {
        out.push_str(fill);
    }
    out.push_str(&close.repeat(depth));
    out.push_str(tail);
    out.into_bytes()
}

/// A nesting of `open` .. `close` as deep as `size` allows, around `leaf`.
fn deep(head: &str, open: &str, leaf: &str, close: &str, tail: &str, size: usize) -> Vec<u8> {
    let depth = (size - head.len() - leaf.len() - tail.len()) / (open.len() + close.len());
    let mut out = String::with_capacity(size);
    out.push_str(head);
    out.push_str(&open.repeat(depth));
    out.push_str(leaf);
    out.push_str(&close.repeat(depth));
    out.push_str(tail);
    out.into_bytes()
}

/// Repeats `item` (with `last` at the end) up to `size`.
fn many(head: &str, item: &str, last: &str, tail: &str, size: usize) -> Vec<u8> {
    body(head, "", 0, item, "", &format!("{last}{tail}"), size)
}

/// Protobuf: `child` (field 2) inside `child` as deep as `size` allows.
fn proto_deep(size: usize) -> Vec<u8> {
    let mut lengths = vec![0usize];
    loop {
        let inner = *lengths.last().unwrap();
        let next = 1 + varint_len(inner) + inner;
        if next > size {
            break;
        }
        lengths.push(next);
    }
    let mut out = Vec::with_capacity(size);
    for level in (0..lengths.len() - 1).rev() {
        out.push(0x12);
        put_varint(&mut out, lengths[level] as u64);
    }
    out
}

/// Protobuf: `tags` (field 3) repeated, one byte each, up to `size`.
fn proto_tags(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    while out.len() + 3 <= size {
        out.extend_from_slice(&[0x1a, 1, b'x']);
    }
    out
}

/// Protobuf: `labels` (field 7) entries with distinct keys, up to `size`.
fn proto_labels(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    let mut i = 0u64;
    loop {
        let key = format!("{i:x}");
        let entry_len = 2 + key.len() + 2;
        if out.len() + 2 + entry_len > size {
            break out;
        }
        out.push(0x3a);
        put_varint(&mut out, entry_len as u64);
        out.extend_from_slice(&[0x0a, key.len() as u8]);
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&[0x12, 0]);
        i += 1;
    }
}

/// Protobuf: unknown fields (number 100, varint) up to `size`.
fn proto_unknown(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    while out.len() + 3 <= size {
        out.extend_from_slice(&[0xa0, 0x06, 1]);
    }
    out
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Distinct keys: `k0: v`, `k1: v`, ... in the given item shape, up to `size`.
fn keyed(head: &str, item: impl Fn(usize) -> String, tail: &str, size: usize) -> Vec<u8> {
    let mut out = String::with_capacity(size);
    out.push_str(head);
    let mut i = 0;
    loop {
        let next = item(i);
        if out.len() + next.len() + tail.len() > size {
            break;
        }
        out.push_str(&next);
        i += 1;
    }
    // Drop a trailing separator the item shape leaves.
    if out.ends_with(',') || out.ends_with('&') {
        out.pop();
    }
    out.push_str(tail);
    out.into_bytes()
}

/// Every hostile body, per codec: (codec, what, body).
fn cases(size: usize) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let s = size;
    vec![
        (
            "json",
            "message nested to the size limit",
            deep("", "{\"child\":", "{}", "}", "", s),
        ),
        (
            "json",
            "unknown key: lists nested to the limit",
            deep("{\"x\":", "[", "", "]", "}", s),
        ),
        (
            "json",
            "1 list of short strings",
            many("{\"tags\":[", "\"x\",", "\"x\"", "]}", s),
        ),
        (
            "json",
            "map with distinct keys",
            keyed("{\"labels\":{", |i| format!("\"{i:x}\":\"\","), "}}", s),
        ),
        (
            "json",
            "unknown keys",
            keyed("{", |i| format!("\"k{i:x}\":0,"), "}", s),
        ),
        (
            "json",
            "list of lists 100 deep, wide",
            body("{\"x\":", "[", DEPTH - 1, "[],", "]", "}", s),
        ),
        ("proto", "message nested to the size limit", proto_deep(s)),
        ("proto", "repeated string, 1 byte each", proto_tags(s)),
        ("proto", "map with distinct keys", proto_labels(s)),
        ("proto", "unknown fields", proto_unknown(s)),
        (
            "xml",
            "message nested to the size limit",
            deep("<Node>", "<child>", "", "</child>", "</Node>", s),
        ),
        (
            "xml",
            "unknown element nested to the limit",
            deep("<Node><x>", "<a>", "", "</a>", "</x></Node>", s),
        ),
        (
            "xml",
            "repeated element, short text",
            many("<Node>", "<tags>x</tags>", "", "</Node>", s),
        ),
        (
            "xml",
            "unknown empty elements",
            many("<Node>", "<u/>", "", "</Node>", s),
        ),
        (
            "xml",
            "elements 100 deep, wide",
            body("<Node><x>", "<a>", DEPTH, "<b/>", "</a>", "</x></Node>", s),
        ),
        (
            "yaml",
            "message nested to the size limit (flow)",
            deep("", "{child: ", "{}", "}", "", s),
        ),
        (
            "yaml",
            "unknown key: flow maps nested to the limit",
            deep("x: ", "{a: ", "1", "}", "\n", s),
        ),
        (
            "yaml",
            "unknown key: flow lists nested to the limit",
            deep("x: ", "[", "", "]", "\n", s),
        ),
        (
            "yaml",
            "unknown key: block lists nested to the limit",
            deep("x:\n", "- ", "x", "", "\n", s),
        ),
        (
            "yaml",
            "flow maps inside lists 100 deep, wide",
            body("x: ", "[", DEPTH - 1, "{k: 1, j: 2}, ", "]", "\n", s),
        ),
        (
            "yaml",
            "block list of short strings",
            many("tags:\n", "- x\n", "", "", s),
        ),
        (
            "yaml",
            "flow list of short strings",
            many("tags: [", "x, ", "x", "]\n", s),
        ),
        (
            "yaml",
            "map with distinct keys",
            keyed("labels:\n", |i| format!("  k{i:x}: v\n"), "", s),
        ),
        (
            "x-www-form-urlencoded",
            "key nested to the size limit",
            deep("", "child.", "name=x", "", "", s),
        ),
        (
            "x-www-form-urlencoded",
            "repeated key",
            many("", "tags=x&", "tags=x", "", s),
        ),
        (
            "x-www-form-urlencoded",
            "unknown keys",
            keyed("", |i| format!("k{i:x}=v&"), "", s),
        ),
        (
            "x-www-form-urlencoded",
            "keys 100 levels deep, repeated",
            many(
                "",
                &format!("{}tags=x&", "child.".repeat(DEPTH)),
                "x=y",
                "",
                s,
            ),
        ),
    ]
}

fn decode_table(size: usize) {
    println!("| codec | body | bytes | decode | result |");
    println!("| --- | --- | ---: | ---: | --- |");
    let mut worst: HashMap<&str, (Duration, &str)> = HashMap::new();
    for (codec, what, bytes) in cases(size) {
        let registered = kratos::encoding::get(codec).expect("built-in codec");
        let mut node = Node::default();
        let start = Instant::now();
        let result = registered.decode(&bytes, &mut node);
        let took = start.elapsed();
        let result = match result {
            Ok(()) => "ok".to_owned(),
            Err(e) => {
                let text = e.to_string();
                let short: String = text.chars().take(70).collect();
                format!("error: {short}")
            }
        };
        println!(
            "| {codec} | {what} | {} | {:.1} ms | {} |",
            bytes.len(),
            took.as_secs_f64() * 1e3,
            result.replace('|', "\\|")
        );
        let entry = worst.entry(codec).or_insert((Duration::ZERO, what));
        if took > entry.0 {
            *entry = (took, what);
        }
        // Drop deep values off the timing (their drop recursion is the message's own).
        drop(node);
    }
    println!();
    let mut worst: Vec<_> = worst.into_iter().collect();
    worst.sort();
    for (codec, (took, what)) in worst {
        println!("worst {codec}: {:.1} ms ({what})", took.as_secs_f64() * 1e3);
    }
}

/// One call on a fresh connection; its latency.
async fn call(url: &str, content_type: &str, body: Vec<u8>, method: &str) -> (u16, Duration) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", content_type)
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap();
    let start = Instant::now();
    let response = client.request(request).await.expect("an answer");
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    (status, start.elapsed())
}

/// The server on its own 2-worker runtime (as the issue's measurements), clients on another.
fn serve(size: usize) {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut app = server.block_on(async {
        App::builder()
            .name("decode-worst")
            .handle_signals(false)
            .server(
                HttpServer::new()
                    .address("127.0.0.1:0")
                    .timeout(Duration::from_secs(600)),
            )
            .service(TreeServer::new(TreeImpl))
            .build()
            .start()
            .await
            .expect("starts")
    });
    let base = app.endpoint("http").unwrap().to_owned();
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let codec_of = |codec: &str| format!("application/{codec}");
    // The slowest body of each codec, four at once per codec, one codec at a time.
    let worst: [(&str, &str); 5] = [
        ("json", "unknown keys"),
        ("proto", "map with distinct keys"),
        ("xml", "repeated element, short text"),
        ("yaml", "flow maps inside lists 100 deep, wide"),
        ("x-www-form-urlencoded", "unknown keys"),
    ];
    println!(
        "| codec | body | 4 such bodies answered in | normal calls during | normal p50 | normal max |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for (codec, what) in worst {
        let bytes = cases(size)
            .into_iter()
            .find(|c| c.0 == codec && c.1 == what)
            .expect("a case")
            .2;
        clients.block_on(async {
            let start = Instant::now();
            let hostile: Vec<_> = (0..4)
                .map(|_| {
                    let (url, ct, body) =
                        (format!("{base}/v1/nodes"), codec_of(codec), bytes.clone());
                    tokio::spawn(async move { call(&url, &ct, body, "POST").await })
                })
                .collect();
            let mut normal = Vec::new();
            while hostile.iter().any(|h| !h.is_finished()) {
                let (status, took) =
                    call(&format!("{base}/v1/nodes/ok"), "", Vec::new(), "GET").await;
                assert_eq!(status, 200);
                normal.push(took);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let all = start.elapsed();
            for h in hostile {
                h.await.unwrap();
            }
            normal.sort();
            let p50 = normal.get(normal.len() / 2).copied().unwrap_or_default();
            let max = normal.last().copied().unwrap_or_default();
            println!(
                "| {codec} | {what} | {:.0} ms | {} | {:.1} ms | {:.1} ms |",
                all.as_secs_f64() * 1e3,
                normal.len(),
                p50.as_secs_f64() * 1e3,
                max.as_secs_f64() * 1e3
            );
        });
    }
    server.block_on(async { app.stop().await.expect("stops") });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size = args
        .iter()
        .position(|a| a == "--max")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("--max BYTES"))
        .unwrap_or(LIMIT)
        .min(LIMIT);
    if args.iter().any(|a| a == "--serve") {
        serve(size);
    } else {
        decode_table(size);
    }
}
