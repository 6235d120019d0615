//! Greeter.SayHello as an actix-web app, written as actix-web's guide does:
//! `HttpServer` over an `App` factory, a `web::Path` extractor and a
//! `web::Json` reply. `GET /helloworld/{name}` -> `{"message":"Hello {name}"}`.
//! actix-web runs one single-threaded worker per core it may use, so pinned to
//! one core it runs one worker, like the tokio servers beside it.
//!
//! ```text
//! cargo run --release --bin peer-actix -- 127.0.0.1:18004
//! ```

use actix_web::{App, HttpServer, web};
use serde::Serialize;

#[derive(Serialize)]
struct HelloReply {
    message: String,
}

async fn say_hello(name: web::Path<String>) -> web::Json<HelloReply> {
    web::Json(HelloReply {
        message: format!("Hello {name}"),
    })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18004".to_owned());
    println!("peer-actix listening on {addr}");
    HttpServer::new(|| App::new().route("/helloworld/{name}", web::get().to(say_hello)))
        .bind(&addr)?
        .run()
        .await
}
