//! Greeter.SayHello as a hand-written axum server: what a user writes instead of
//! kratos for `GET /helloworld/{name}` -> `{"message":"Hello {name}"}`.
//!
//! ```text
//! cargo run --release -p kratos-bench --bin raw_axum -- 127.0.0.1:18001
//! curl http://127.0.0.1:18001/helloworld/kratos
//! ```

use axum::extract::Path;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde::Serialize;

#[derive(Serialize)]
struct HelloReply {
    message: String,
}

async fn say_hello(Path(name): Path<String>) -> Json<HelloReply> {
    Json(HelloReply {
        message: format!("Hello {name}"),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18001".to_owned());
    let app = Router::new().route("/helloworld/{name}", get(say_hello));
    // kratos sets TCP_NODELAY on every connection; so does this server, so the
    // comparison is of the request path, not of Nagle's algorithm.
    let listener = tokio::net::TcpListener::bind(&addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("raw_axum listening on {addr}");
    axum::serve(listener, app).await
}
