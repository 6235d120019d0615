//! JWT against independent implementations over real sockets: tokens minted by
//! PyJWT and jwcrypto (HS256, RS256, ES256; valid, expired, not yet valid, another
//! algorithm, tampered, garbage, lower-case `bearer`) get Go kratos's exact 401
//! body over HTTP and `UNAUTHENTICATED` with reason `UNAUTHORIZED` for a grpcio
//! caller; claims reach handlers; tokens our client sends verify in PyJWT and
//! jwcrypto; a login is left out by a selector or by per-method `#[middleware]`.
//! Keys are made per run by Python's `cryptography`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::process::Stdio;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use kratos::RunningApp;
use kratos::middleware::jwt::{self, Algorithm, DecodingKey, EncodingKey};
use kratos::middleware::selector;
use kratos::prelude::*;
use serde_json::{Map, Value, json};

use crate::common::grpc_url;
use crate::curl::send;
use crate::process::{python, python_client};

#[kratos::message]
pub struct HelloRequest {
    pub name: String,
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
    /// The token's claims as the handler got them, as JSON.
    pub claims: String,
}

#[kratos::message]
pub struct LoginRequest {
    pub user: String,
}

#[kratos::message]
pub struct LoginReply {
    pub token: String,
}

#[kratos::service(package = "jwt.v1")]
pub trait Guarded {
    #[route(get = "/v1/hello/{name}")]
    async fn hello(&self, ctx: &Context, req: HelloRequest) -> kratos::Result<HelloReply>;

    #[route(post = "/v1/login", body = "*")]
    async fn login(&self, req: LoginRequest) -> kratos::Result<LoginReply>;
}

const LOGIN: &str = "/jwt.v1.Guarded/Login";

struct GuardedImpl;

impl Guarded for GuardedImpl {
    async fn hello(&self, ctx: &Context, req: HelloRequest) -> kratos::Result<HelloReply> {
        let claims = jwt::claims::<Map<String, Value>>(ctx)
            .ok_or_else(|| Error::internal_server("NO_CLAIMS", "the middleware did not run"))?;
        Ok(HelloReply {
            message: format!("hello {}", req.name),
            claims: Value::Object(claims.clone()).to_string(),
        })
    }

    async fn login(&self, req: LoginRequest) -> kratos::Result<LoginReply> {
        Ok(LoginReply {
            token: format!("token for {}", req.user),
        })
    }
}

/// Keeps the `authorization` header of every call the server gets.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

#[kratos::middleware]
impl Middleware for Seen {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        if let Some(value) = ctx.request_header("authorization") {
            self.0.lock().unwrap().push(value.to_owned());
        }
        next.run(ctx, req).await
    }
}

/// The key pairs and secret of one run, in a temporary folder.
struct Keys {
    dir: tempfile::TempDir,
    secret: String,
}

impl Keys {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let made = python_client(
            "jwt_check.py",
            &[OsStr::new("keys"), dir.path().as_os_str()],
        );
        let secret = made["secret"].as_str().unwrap().to_owned();
        Self { dir, secret }
    }

    fn pem(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap()
    }

    fn decoding(&self, alg: Algorithm) -> DecodingKey {
        match alg {
            Algorithm::HS256 => DecodingKey::from_secret(self.secret.as_bytes()).unwrap(),
            Algorithm::RS256 => DecodingKey::from_rsa_pem(&self.pem("rsa_public.pem")).unwrap(),
            Algorithm::ES256 => DecodingKey::from_ec_pem(&self.pem("ec_public.pem")).unwrap(),
            other => panic!("no key for {other:?}"),
        }
    }

    fn encoding(&self, alg: Algorithm) -> EncodingKey {
        match alg {
            Algorithm::HS256 => EncodingKey::from_secret(self.secret.as_bytes()).unwrap(),
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&self.pem("rsa_private.pem")).unwrap(),
            Algorithm::ES256 => EncodingKey::from_ec_pem(&self.pem("ec_private.pem")).unwrap(),
            other => panic!("no key for {other:?}"),
        }
    }
}

/// Runs `jwt_check.py` with `args` and `input` on its stdin, off the test's runtime.
async fn python_json(args: Vec<String>, input: Value) -> Value {
    tokio::task::spawn_blocking(move || {
        let mut child = python("jwt_check.py")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.to_string().as_bytes()).unwrap();
        drop(stdin);
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "jwt_check.py {args:?} failed (`bash .ci/setup` installs PyJWT and jwcrypto):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    })
    .await
    .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Serves `Guarded` with `auth` on both servers, left out for `Login`, and `seen` outermost.
async fn start(auth: jwt::Server, seen: Seen) -> RunningApp {
    let guard = || selector(auth.clone()).matcher(|op| op != LOGIN);
    App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .middleware(seen.clone())
                .middleware(guard()),
        )
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .middleware(seen)
                .middleware(guard()),
        )
        .service(GuardedServer::new(GuardedImpl))
        .build()
        .start()
        .await
        .unwrap()
}

const MISSING: &str = "JWT token is missing";
const INVALID: &str = "Token is invalid";
const EXPIRED: &str = "JWT token has expired";
const PARSE: &str = "Fail to parse JWT token ";
const METHOD: &str = "Wrong signing method";

/// What Go kratos answers to each token `jwt_check.py mint` makes, `None` for a pass.
fn expected(case: &str) -> Option<&'static str> {
    match case {
        "valid" | "jwcrypto_valid" | "lower_case_bearer" => None,
        "expired" | "not_yet_valid" | "jwcrypto_expired" => Some(EXPIRED),
        // The server's key cannot verify it: the signature fails before the algorithm is compared.
        "foreign_algorithm" | "tampered" => Some(PARSE),
        // Same key family, well signed: only the algorithm is wrong.
        "neighbour_algorithm" => Some(METHOD),
        "garbage" => Some(INVALID),
        "no_header" | "basic_scheme" | "scheme_only" => Some(MISSING),
        other => panic!("no expectation for {other}"),
    }
}

#[tokio::test]
async fn python_tokens_get_go_kratos_answers_over_http_and_grpc() {
    let keys = Keys::new();
    let dir = keys.dir.path().to_str().unwrap().to_owned();
    let minted = python_json(vec!["mint".into(), dir, now().to_string()], Value::Null).await;
    for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256] {
        let name = format!("{alg:?}");
        let tokens = minted[&name].as_object().unwrap();
        let mut cases: BTreeMap<String, Option<String>> = tokens
            .iter()
            .map(|(case, token)| {
                (
                    case.clone(),
                    Some(format!("Bearer {}", token.as_str().unwrap())),
                )
            })
            .collect();
        let valid = tokens["valid"].as_str().unwrap();
        cases.insert("lower_case_bearer".into(), Some(format!("bearer {valid}")));
        cases.insert("garbage".into(), Some("Bearer 12313123".into()));
        cases.insert("no_header".into(), None);
        cases.insert("basic_scheme".into(), Some(format!("Basic {valid}")));
        cases.insert("scheme_only".into(), Some("Bearer".into()));

        let mut app = start(
            jwt::server(keys.decoding(alg)).algorithm(alg),
            Seen::default(),
        )
        .await;
        let url = format!("{}/v1/hello/kratos", app.endpoint("http").unwrap());
        for (case, authorization) in &cases {
            let headers: Vec<(&str, &str)> = authorization
                .iter()
                .map(|a| ("authorization", a.as_str()))
                .collect();
            let answer = send("GET", &url, &headers, "").await;
            match expected(case) {
                None => {
                    assert_eq!(answer.status, 200, "{name} {case}: {}", answer.text());
                    let claims: Value =
                        serde_json::from_str(answer.json()["claims"].as_str().unwrap()).unwrap();
                    assert_eq!(
                        claims["sub"], "alice",
                        "{name} {case}: claims reach the handler"
                    );
                    assert_eq!(claims["name"], "Alice");
                }
                Some(message) => assert_eq!(
                    answer.json(),
                    json!({"code": 401, "reason": "UNAUTHORIZED", "message": message, "metadata": {}}),
                    "{name} {case}: Go kratos's body, status {}",
                    answer.status
                ),
            }
            if expected(case).is_some() {
                assert_eq!(answer.status, 401, "{name} {case}");
            }
        }

        let grpc = app
            .endpoint("grpc")
            .unwrap()
            .trim_start_matches("grpc://")
            .to_owned();
        let args = vec!["grpc".into(), grpc, "/jwt.v1.Guarded/Hello".into()];
        let seen = python_json(args, serde_json::to_value(&cases).unwrap()).await;
        for case in cases.keys() {
            let row = &seen[case];
            match expected(case) {
                None => {
                    assert_eq!(row["code"], "OK", "{name} {case} over gRPC: {row}");
                    assert!(row["reply"].as_str().unwrap().contains("alice"), "{row}");
                }
                Some(message) => assert_eq!(
                    row,
                    &json!({
                        "code": "UNAUTHENTICATED",
                        "message": message,
                        "error_info": [{"reason": "UNAUTHORIZED", "domain": "", "metadata": {}}],
                    }),
                    "{name} {case} over gRPC"
                ),
            }
        }
        app.stop().await.unwrap();
    }
}

#[tokio::test]
async fn tokens_from_our_client_verify_in_pyjwt_and_jwcrypto() {
    let keys = Keys::new();
    let exp = now() + 300;
    let mut sent = Vec::new();
    for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256] {
        let seen = Seen::default();
        let mut app = start(jwt::server(keys.decoding(alg)).algorithm(alg), seen.clone()).await;
        let signer = || {
            jwt::client(keys.encoding(alg))
                .algorithm(alg)
                .header("kid", "k1")
                .claims(
                    move |ctx: &Context| json!({"sub": "bob", "op": ctx.operation(), "exp": exp}),
                )
        };
        let http = GuardedClient::http(app.endpoint("http").unwrap())
            .unwrap()
            .middleware(signer());
        let grpc = GuardedClient::grpc(&grpc_url(&app))
            .unwrap()
            .middleware(signer());
        for client in [http, grpc] {
            let ctx = Context::new(Kind::Http, "", Default::default());
            let reply = client
                .hello(&ctx, HelloRequest { name: "bob".into() })
                .await
                .unwrap();
            let claims: Value = serde_json::from_str(&reply.claims).unwrap();
            assert_eq!(claims["op"], "/jwt.v1.Guarded/Hello", "{alg:?}: {claims}");
        }
        for header in seen.0.lock().unwrap().iter() {
            let token = header
                .strip_prefix("Bearer ")
                .expect("Go's `Bearer ` + token");
            sent.push(json!({"alg": format!("{alg:?}"), "token": token}));
        }
        app.stop().await.unwrap();
    }
    assert_eq!(sent.len(), 6, "one token per call, two calls per algorithm");
    let dir = keys.dir.path().to_str().unwrap().to_owned();
    let checked = python_json(vec!["verify".into(), dir], Value::Array(sent)).await;
    let want = json!({"sub": "bob", "op": "/jwt.v1.Guarded/Hello", "exp": exp});
    for row in checked.as_array().unwrap() {
        assert_eq!(row["pyjwt"], want, "PyJWT: {row}");
        assert_eq!(row["jwcrypto"], want, "jwcrypto: {row}");
        assert_eq!(
            row["header"],
            json!({"alg": row["alg"], "kid": "k1", "typ": "JWT"})
        );
        if row["alg"] != "ES256" {
            assert_eq!(
                row["pyjwt_same_bytes"], true,
                "byte for byte as PyJWT: {row}"
            );
        }
    }
}

#[tokio::test]
async fn a_login_left_out_by_a_selector_needs_no_token() {
    let keys = Keys::new();
    let app = start(
        jwt::server(keys.decoding(Algorithm::HS256)),
        Seen::default(),
    )
    .await;
    let clients = [
        GuardedClient::http(app.endpoint("http").unwrap()).unwrap(),
        GuardedClient::grpc(&grpc_url(&app)).unwrap(),
    ];
    for client in &clients {
        let reply = client
            .login(LoginRequest { user: "ann".into() })
            .await
            .unwrap();
        assert_eq!(reply.token, "token for ann");
        let ctx = Context::new(Kind::Http, "", Default::default());
        let err = client
            .hello(&ctx, HelloRequest { name: "ann".into() })
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (401, "UNAUTHORIZED", MISSING)
        );
    }
}

#[tokio::test]
async fn a_client_without_a_usable_key_fails_with_go_kratos_messages() {
    let keys = Keys::new();
    let app = start(
        jwt::server(keys.decoding(Algorithm::HS256)),
        Seen::default(),
    )
    .await;
    let url = app.endpoint("http").unwrap();
    let wrong_family = jwt::client(keys.encoding(Algorithm::HS256)).algorithm(Algorithm::RS256);
    let no_key = jwt::client_with_keys(|_| None);
    for (middleware, message) in [
        (wrong_family, "Can not sign token.Is the key correct?"),
        (no_key, "Can not get key while signing token"),
    ] {
        let client = GuardedClient::http(url).unwrap().middleware(middleware);
        let ctx = Context::new(Kind::Http, "", Default::default());
        let err = client
            .hello(&ctx, HelloRequest { name: "x".into() })
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (401, "UNAUTHORIZED", message)
        );
    }
}

/// The claims `Door` reads, typed.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Visitor {
    pub name: String,
    pub exp: u64,
}

const DOOR_SECRET: &[u8] = b"the door's own secret, for the method-level guard only";

static DOOR_GUARD: LazyLock<jwt::Server<Visitor>> = LazyLock::new(|| {
    jwt::server(DecodingKey::from_secret(DOOR_SECRET).unwrap())
        .require_exp()
        .claims::<Visitor>()
});

/// The JWT check, for the methods that name it.
#[kratos::middleware]
pub async fn authenticated(
    ctx: &mut Context,
    req: Request,
    next: Next<'_>,
) -> Result<Reply, Error> {
    DOOR_GUARD.handle(ctx, req, next).await
}

#[kratos::service(package = "jwt.v1")]
pub trait Door {
    #[route(get = "/v1/door/{name}")]
    #[middleware(authenticated)]
    async fn open(&self, ctx: &Context, req: HelloRequest) -> kratos::Result<HelloReply>;

    #[route(get = "/v1/knock/{name}")]
    async fn knock(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
}

struct DoorImpl;

impl Door for DoorImpl {
    async fn open(&self, ctx: &Context, req: HelloRequest) -> kratos::Result<HelloReply> {
        let visitor = jwt::claims::<Visitor>(ctx).expect("typed claims");
        Ok(HelloReply {
            message: format!("welcome {}, asked for {}", visitor.name, req.name),
            claims: String::new(),
        })
    }

    async fn knock(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply {
            message: format!("who is there, {}?", req.name),
            claims: String::new(),
        })
    }
}

#[tokio::test]
async fn per_method_middleware_guards_one_method_with_typed_claims() {
    let app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(DoorServer::new(DoorImpl))
        .build()
        .start()
        .await
        .unwrap();
    let exp = now() + 60;
    let bare = [
        DoorClient::http(app.endpoint("http").unwrap()).unwrap(),
        DoorClient::grpc(&grpc_url(&app)).unwrap(),
    ];
    for client in bare {
        let ctx = Context::new(Kind::Http, "", Default::default());
        let knock = client
            .knock(HelloRequest { name: "a".into() })
            .await
            .unwrap();
        assert_eq!(knock.message, "who is there, a?", "no guard on knock");
        let err = client
            .open(&ctx, HelloRequest { name: "a".into() })
            .await
            .unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (401, MISSING));
        let expired =
            jwt::client(EncodingKey::from_secret(DOOR_SECRET).unwrap()).claims(|_: &Context| {
                Visitor {
                    name: "late".into(),
                    exp: 1,
                }
            });
        let err = client
            .clone()
            .middleware(expired)
            .open(&ctx, HelloRequest { name: "a".into() })
            .await
            .unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (401, EXPIRED));
        let signer = jwt::client(EncodingKey::from_secret(DOOR_SECRET).unwrap()).claims(
            move |_: &Context| Visitor {
                name: "carol".into(),
                exp,
            },
        );
        let open = client
            .middleware(signer)
            .open(&ctx, HelloRequest { name: "a".into() })
            .await
            .unwrap();
        assert_eq!(open.message, "welcome carol, asked for a");
    }
}
