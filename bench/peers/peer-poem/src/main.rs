//! Greeter.SayHello as a plain poem `#[handler]` (poem's README style, no
//! OpenAPI layer), beside peer-poem-openapi so the cost of poem-openapi shows on
//! its own. `GET /helloworld/{name}` -> `{"message":"Hello {name}"}`.
//!
//! ```text
//! cargo run --release --bin peer-poem -- 127.0.0.1:18003
//! ```

use poem::listener::TcpListener;
use poem::web::{Json, Path};
use poem::{Route, Server, get, handler};
use serde::Serialize;

#[derive(Serialize)]
struct HelloReply {
    message: String,
}

#[handler]
fn say_hello(Path(name): Path<String>) -> Json<HelloReply> {
    Json(HelloReply {
        message: format!("Hello {name}"),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18003".to_owned());
    let app = Route::new().at("/helloworld/:name", get(say_hello));
    println!("peer-poem listening on {addr}");
    Server::new(TcpListener::bind(addr)).run(app).await
}
