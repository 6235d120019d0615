//! Greeter.SayHello as poem users write an API: poem-openapi's `#[OpenApi]`, the
//! style poem's documentation leads with (typed parameters and payloads, the
//! OpenAPI document derived from them). `GET /helloworld/{name}` ->
//! `{"message":"Hello {name}"}`, as bench/src/bin/raw_axum.rs.
//!
//! ```text
//! cargo run --release --bin peer-poem-openapi -- 127.0.0.1:18002
//! ```

use poem::listener::TcpListener;
use poem::{Route, Server};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService};

#[derive(Object)]
struct HelloReply {
    message: String,
}

struct Greeter;

#[OpenApi]
impl Greeter {
    #[oai(path = "/helloworld/:name", method = "get")]
    async fn say_hello(&self, name: Path<String>) -> Json<HelloReply> {
        Json(HelloReply {
            message: format!("Hello {}", name.0),
        })
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18002".to_owned());
    let api = OpenApiService::new(Greeter, "Greeter", "1.0");
    let app = Route::new().nest("/", api);
    println!("peer-poem-openapi listening on {addr}");
    Server::new(TcpListener::bind(addr)).run(app).await
}
