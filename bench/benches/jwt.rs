//! Per-call cost of the JWT middleware: a server call whose token is checked
//! (HS256, RS256, ES256), one refused before any crypto (no header) and one
//! refused at the signature, against the empty chain; and the client's signing
//! of a fresh token per call. Same harness as `middleware.rs`: the real call path
//! (`invoke`) on a current-thread runtime. Keys come from
//! `tests/python/jwt_check.py keys` (Python's `cryptography`), made per run.
//!
//! Run: `cargo bench -p kratos-bench --bench jwt`

use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use divan::{AllocProfiler, Bencher};
use http::{HeaderMap, HeaderValue};
use kratos::middleware::Chain;
use kratos::middleware::jwt::{self, Algorithm, DecodingKey, EncodingKey};
use kratos::prelude::*;
use kratos_transport::invoke::{ServerState, invoke};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

mod greeter;

use greeter::*;

pub struct Hello;

impl Greeter for Hello {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply { message: req.name })
    }
}

const OPERATION: &str = "/bench.v1.Greeter/SayHello";

/// The key files of this run and the HMAC secret.
struct Keys {
    dir: std::path::PathBuf,
    secret: Vec<u8>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("kratos-bench-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/jwt_check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg("keys")
        .arg(&dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = made["secret"].as_str().unwrap().as_bytes().to_vec();
    Keys { dir, secret }
});

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(KEYS.dir.join(name)).unwrap()
}

fn keys(alg: Algorithm) -> (EncodingKey, DecodingKey) {
    match alg {
        Algorithm::HS256 => (
            EncodingKey::from_secret(&KEYS.secret).unwrap(),
            DecodingKey::from_secret(&KEYS.secret).unwrap(),
        ),
        Algorithm::RS256 => (
            EncodingKey::from_rsa_pem(&pem("rsa_private.pem")).unwrap(),
            DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap(),
        ),
        _ => (
            EncodingKey::from_ec_pem(&pem("ec_private.pem")).unwrap(),
            DecodingKey::from_ec_pem(&pem("ec_public.pem")).unwrap(),
        ),
    }
}

/// A client that signs Go-style claims: subject, name, expiry.
fn signer(alg: Algorithm) -> jwt::Client {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    jwt::client(keys(alg).0)
        .algorithm(alg)
        .claims(move |_: &Context| serde_json::json!({"sub": "alice", "name": "Alice", "exp": exp}))
}

/// Server calls carrying `authorization` (if any) through `chain`; `ok` says how they end.
fn run(b: Bencher, chain: Chain, authorization: Option<String>, ok: bool) {
    let rt = runtime();
    let state = ServerState {
        endpoint: "grpc://127.0.0.1:9000".into(),
        timeout: Duration::from_secs(1),
        chain,
        ..ServerState::default()
    };
    let service = Chain::default();
    let mut headers = HeaderMap::new();
    if let Some(value) = authorization {
        headers.insert("authorization", HeaderValue::try_from(value).unwrap());
    }
    b.bench_local(|| {
        rt.block_on(async {
            let mut ctx = Context::new(Kind::Grpc, OPERATION, headers.clone());
            let request = HelloRequest {
                name: String::from("kratos"),
            };
            let answer = invoke::<SayHello, Hello>(
                &Hello,
                &state,
                &service,
                &mut ctx,
                request,
                Duration::from_secs(1),
            )
            .await;
            assert_eq!(answer.is_ok(), ok);
        })
    });
}

fn bearer(alg: Algorithm) -> String {
    let ctx = Context::new(Kind::Grpc, OPERATION, HeaderMap::new());
    format!("Bearer {}", signer(alg).token(&ctx).unwrap())
}

fn guarded(alg: Algorithm) -> Chain {
    Chain::default().with(jwt::server(keys(alg).1).algorithm(alg))
}

const ALGORITHMS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256];

/// The baseline: a server call with no middleware, the same headers.
#[divan::bench]
fn server_call_empty_chain(b: Bencher) {
    run(b, Chain::default(), Some(bearer(Algorithm::HS256)), true);
}

/// A server call whose token is checked and whose claims reach the context.
#[divan::bench(args = ALGORITHMS)]
fn server_call_valid_token(b: Bencher, alg: Algorithm) {
    run(b, guarded(alg), Some(bearer(alg)), true);
}

/// Refused before any decoding: no `authorization` header.
#[divan::bench]
fn server_call_missing_token(b: Bencher) {
    run(b, guarded(Algorithm::HS256), None, false);
}

/// Refused at the signature: an HS256 token signed with another secret.
#[divan::bench]
fn server_call_bad_signature(b: Bencher) {
    let other = jwt::client(EncodingKey::from_secret(b"another secret").unwrap());
    let ctx = Context::new(Kind::Grpc, OPERATION, HeaderMap::new());
    let token = format!("Bearer {}", other.token(&ctx).unwrap());
    run(b, guarded(Algorithm::HS256), Some(token), false);
}

/// The client's part: one token signed per call.
#[divan::bench(args = ALGORITHMS)]
fn client_sign_token(b: Bencher, alg: Algorithm) {
    let client = signer(alg);
    let ctx = Context::new(Kind::Grpc, OPERATION, HeaderMap::new());
    b.bench_local(|| client.token(&ctx).unwrap());
}
