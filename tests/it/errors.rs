//! Errors across the wire: every row of Go kratos's mapping tables in both
//! directions against Python grpcio peers, and typed `#[error_code]` round trips
//! through both generated clients.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use kratos::prelude::*;

use crate::common::grpc_url;
use crate::process::{python, python_client};

#[kratos::message]
pub struct FailRequest {
    pub code: i32,
    pub reason: String,
}

#[kratos::message]
pub struct FailReply {}

/// The same service as `tests/python/codes.proto`.
#[kratos::service(package = "codes.v1")]
pub trait Codes {
    #[route(get = "/v1/fail/{code}")]
    async fn fail(&self, req: FailRequest) -> kratos::Result<FailReply>;
}

struct FailWith;

impl Codes for FailWith {
    async fn fail(&self, req: FailRequest) -> kratos::Result<FailReply> {
        Err(
            Error::new(req.code, req.reason, format!("failed with {}", req.code))
                .with_metadata("code", req.code.to_string()),
        )
    }
}

/// Go kratos's HTTP -> gRPC table, plus codes outside it.
const HTTP_TO_GRPC: [(i32, &str); 15] = [
    (400, "INVALID_ARGUMENT"),
    (401, "UNAUTHENTICATED"),
    (403, "PERMISSION_DENIED"),
    (404, "NOT_FOUND"),
    (409, "ABORTED"),
    (429, "RESOURCE_EXHAUSTED"),
    (499, "CANCELLED"),
    (500, "INTERNAL"),
    (501, "UNIMPLEMENTED"),
    (503, "UNAVAILABLE"),
    (504, "DEADLINE_EXCEEDED"),
    (418, "UNKNOWN"),
    (422, "UNKNOWN"),
    (502, "UNKNOWN"),
    (302, "UNKNOWN"),
];

async fn start() -> kratos::RunningApp {
    App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(CodesServer::new(FailWith))
        .build()
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_http_code_maps_to_go_kratos_grpc_code_for_a_grpcio_client() {
    let app = start().await;
    let grpc = app
        .endpoint("grpc")
        .unwrap()
        .trim_start_matches("grpc://")
        .to_owned();
    let codes = HTTP_TO_GRPC.iter().map(|(code, _)| code.to_string());
    let args: Vec<String> = std::iter::once(grpc).chain(codes).collect();
    // The client blocks; the server runs on this test's runtime, so block elsewhere.
    let seen = tokio::task::spawn_blocking(move || {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        python_client("codes_client.py", &args)
    })
    .await
    .unwrap();
    for (code, status) in HTTP_TO_GRPC {
        let row = &seen[code.to_string()];
        assert_eq!(row["code"], status, "HTTP {code}: {row}");
        assert_eq!(row["message"], format!("failed with {code}"), "HTTP {code}");
        assert_eq!(
            row["error_info"],
            serde_json::json!([{"reason": format!("R{code}"), "domain": "", "metadata": {"code": code.to_string()}}]),
            "HTTP {code}: the ErrorInfo detail carries reason and metadata"
        );
    }
}

#[tokio::test]
async fn every_http_code_survives_both_generated_clients() {
    let app = start().await;
    let http = CodesClient::http(app.endpoint("http").unwrap()).unwrap();
    let grpc = CodesClient::grpc(&grpc_url(&app)).unwrap();
    for (code, _) in HTTP_TO_GRPC {
        let request = || FailRequest {
            code,
            reason: format!("R{code}"),
        };
        let over_http = http.fail(request()).await.unwrap_err();
        assert_eq!(over_http.code, code, "HTTP keeps every code");
        let over_grpc = grpc.fail(request()).await.unwrap_err();
        let expected = if kratos::errors::grpc_code(code) == kratos::errors::grpc::UNKNOWN {
            500
        } else {
            code
        };
        assert_eq!(
            over_grpc.code, expected,
            "gRPC {code}: outside the table arrives as 500"
        );
        for err in [&over_http, &over_grpc] {
            assert_eq!(err.reason, format!("R{code}"));
            assert_eq!(err.message, format!("failed with {code}"));
            assert_eq!(err.metadata.get("code"), Some(&code.to_string()));
        }
    }
}

/// Go kratos's gRPC -> HTTP table.
const GRPC_TO_HTTP: [(i32, i32); 16] = [
    (1, 499),
    (2, 500),
    (3, 400),
    (4, 504),
    (5, 404),
    (6, 409),
    (7, 403),
    (8, 429),
    (9, 400),
    (10, 409),
    (11, 400),
    (12, 501),
    (13, 500),
    (14, 503),
    (15, 500),
    (16, 401),
];

#[tokio::test]
async fn every_grpc_code_from_a_grpcio_server_maps_back_like_go_kratos() {
    let mut server = python("codes_server.py")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let port: u16 = port.trim().parse().expect("the server prints its port");
    let client = CodesClient::grpc(&format!("http://127.0.0.1:{port}")).unwrap();
    for (grpc_code, http_code) in GRPC_TO_HTTP {
        let err = client
            .fail(FailRequest {
                code: grpc_code,
                reason: format!("G{grpc_code}"),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, http_code, "gRPC code {grpc_code}");
        assert_eq!(err.reason, format!("G{grpc_code}"), "gRPC code {grpc_code}");
        assert_eq!(err.message, format!("python says {grpc_code}"));
        assert_eq!(err.metadata.get("from").map(String::as_str), Some("python"));
    }
    assert!(
        client
            .fail(FailRequest {
                code: 0,
                reason: String::new()
            })
            .await
            .is_ok()
    );
    drop(server.stdin.take().unwrap().flush());
    let _ = server.kill();
    let _ = server.wait();
}

mod typed {
    use super::*;

    #[kratos::message]
    pub struct Lookup {
        pub name: String,
    }

    #[kratos::error_code(default = 503)]
    pub enum UserError {
        #[code(404)]
        #[error("user not found: {name}")]
        UserNotFound {
            #[metadata]
            name: String,
        },
        #[code(400, reason = "BAD_NAME")]
        #[error("bad name {0:?}")]
        InvalidName(#[metadata] String),
        /// No `#[code]`: the enum's default, 503.
        Busy,
        #[code(409)]
        #[error("taken {count} times")]
        Taken { count: u32 },
    }

    #[kratos::service(package = "typed.v1")]
    pub trait Users {
        #[route(get = "/v1/users/{name}")]
        async fn get(&self, req: Lookup) -> Result<Lookup, UserError>;

        /// Returns `kratos::Result` and uses `?` on the enum, the common form.
        #[route(delete = "/v1/users/{name}")]
        async fn remove(&self, req: Lookup) -> kratos::Result<Lookup>;
    }

    pub struct UsersImpl;

    impl Users for UsersImpl {
        async fn get(&self, req: Lookup) -> Result<Lookup, UserError> {
            match req.name.as_str() {
                "bob" => Err(UserError::UserNotFound { name: req.name }),
                "busy" => Err(UserError::Busy),
                "taken" => Err(UserError::Taken { count: 3 }),
                "" | "!" => Err(UserError::InvalidName(req.name)),
                _ => Ok(req),
            }
        }

        async fn remove(&self, req: Lookup) -> kratos::Result<Lookup> {
            Err(UserError::UserNotFound { name: req.name })?
        }
    }

    impl From<Error> for UserError {
        fn from(err: Error) -> Self {
            UserError::from_error(&err).unwrap_or(UserError::Busy)
        }
    }
}

#[tokio::test]
async fn error_code_enums_round_trip_through_both_clients() {
    use typed::{Lookup, UserError, Users, UsersClient, UsersImpl, UsersServer};
    let app = App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(UsersServer::new(UsersImpl))
        .build()
        .start()
        .await
        .unwrap();
    let clients = [
        UsersClient::http(app.endpoint("http").unwrap()).unwrap(),
        UsersClient::grpc(&grpc_url(&app)).unwrap(),
    ];
    for client in clients {
        let lookup = |name: &str| Lookup { name: name.into() };
        let err: Error = match client.get(lookup("bob")).await.unwrap_err() {
            UserError::UserNotFound { name } => UserError::UserNotFound { name }.into(),
            other => panic!("expected UserNotFound, got {other:?}"),
        };
        assert!(UserError::is_user_not_found(&err));
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (404, "USER_NOT_FOUND", "user not found: bob")
        );
        assert!(matches!(
            client.get(lookup("busy")).await.unwrap_err(),
            UserError::Busy
        ));
        assert!(
            matches!(client.get(lookup("!")).await.unwrap_err(), UserError::InvalidName(n) if n == "!")
        );
        assert_eq!(client.get(lookup("alice")).await.unwrap().name, "alice");
        let removed = client.remove(lookup("carol")).await.unwrap_err();
        assert!(UserError::is_user_not_found(&removed), "{removed}");
        assert!(!UserError::is_invalid_name(&removed));
        assert!(
            matches!(UserError::from_error(&removed), Some(UserError::UserNotFound { name }) if name == "carol")
        );
    }
}

#[test]
fn error_code_enum_builds_go_kratos_errors() {
    use typed::UserError;
    let err: Error = UserError::UserNotFound { name: "bob".into() }.into();
    assert_eq!(
        serde_json::to_string(&err).unwrap(),
        r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user not found: bob","metadata":{"name":"bob"}}"#
    );
    assert!(UserError::is_user_not_found(&err));
    assert!(!UserError::is_invalid_name(&err));
    assert!(
        !UserError::is_user_not_found(&Error::not_found("OTHER", "x")),
        "the reason must match too"
    );
    assert!(
        !UserError::is_user_not_found(&Error::bad_request("USER_NOT_FOUND", "x")),
        "the code must match too"
    );
    assert!(
        matches!(UserError::from_error(&err), Some(UserError::UserNotFound { name }) if name == "bob")
    );

    let bad: Error = UserError::InvalidName("x y".into()).into();
    assert_eq!(
        (bad.code, bad.reason.as_str(), bad.message.as_str()),
        (400, "BAD_NAME", "bad name \"x y\"")
    );
    assert_eq!(bad.metadata.get("0").map(String::as_str), Some("x y"));
    let taken_err: Error = UserError::Taken { count: 2 }.into();
    assert!(
        taken_err.metadata.is_empty(),
        "only #[metadata] fields are sent"
    );

    let busy: Error = UserError::Busy.into();
    assert_eq!(
        (busy.code, busy.reason.as_str(), busy.message.as_str()),
        (503, "BUSY", "BUSY")
    );
    assert!(matches!(
        UserError::from_error(&busy),
        Some(UserError::Busy)
    ));

    let taken: Error = UserError::Taken { count: 2 }.into();
    assert_eq!(taken.message, "taken 2 times");
    assert!(
        UserError::from_error(&taken).is_none(),
        "a variant with non-string fields cannot be rebuilt"
    );
    assert!(UserError::is_taken(&taken));

    let custom = UserError::Busy.with_message("try again in 5s");
    assert_eq!(
        (custom.code, custom.reason.as_str(), custom.message.as_str()),
        (503, "BUSY", "try again in 5s")
    );
    assert_eq!(UserError::Busy.to_string(), "BUSY");
    assert_eq!(UserError::Taken { count: 1 }.code(), 409);
    assert_eq!(UserError::Taken { count: 1 }.reason(), "TAKEN");
}

#[test]
fn standard_constructors_and_tests_match_go_kratos() {
    type IsFn = fn(&Error) -> bool;
    let cases: [(Error, i32, IsFn); 9] = [
        (Error::bad_request("R", "m"), 400, Error::is_bad_request),
        (Error::unauthorized("R", "m"), 401, Error::is_unauthorized),
        (Error::forbidden("R", "m"), 403, Error::is_forbidden),
        (Error::not_found("R", "m"), 404, Error::is_not_found),
        (Error::conflict("R", "m"), 409, Error::is_conflict),
        (Error::client_closed("R", "m"), 499, Error::is_client_closed),
        (
            Error::internal_server("R", "m"),
            500,
            Error::is_internal_server,
        ),
        (
            Error::service_unavailable("R", "m"),
            503,
            Error::is_service_unavailable,
        ),
        (
            Error::gateway_timeout("R", "m"),
            504,
            Error::is_gateway_timeout,
        ),
    ];
    for (err, code, is) in &cases {
        assert_eq!(err.code, *code);
        assert!(is(err), "{code}");
        let others = cases.iter().filter(|(e, _, _)| e.code != *code);
        for (other, _, _) in others {
            assert!(!is(other), "{code} test is false for {}", other.code);
        }
    }
    assert_eq!(kratos::errors::code(None), 200);
    let io = std::io::Error::other("x");
    assert_eq!(kratos::errors::code(Some(&io)), 500);
    assert_eq!(kratos::errors::reason(Some(&io)), "");
}
