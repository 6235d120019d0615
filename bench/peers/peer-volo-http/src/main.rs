//! Greeter.SayHello as a cloudwego volo-http server, written as volo-http's
//! examples do: a `Router` of handlers with `PathParams` and `Json` extractors,
//! served by volo's `Server`. `GET /helloworld/{name}` ->
//! `{"message":"Hello {name}"}` (volo-http encodes JSON with sonic-rs).
//!
//! ```text
//! cargo run --release --bin peer-volo-http -- 127.0.0.1:18005
//! ```

use std::net::SocketAddr;

use serde::Serialize;
use volo_http::Address;
use volo_http::server::Server;
use volo_http::server::extract::Json;
use volo_http::server::param::PathParams;
use volo_http::server::route::{Router, get};

#[derive(Serialize)]
struct HelloReply {
    message: String,
}

async fn say_hello(PathParams(name): PathParams<String>) -> Json<HelloReply> {
    Json(HelloReply {
        message: format!("Hello {name}"),
    })
}

#[volo::main]
async fn main() {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18005".to_owned())
        .parse()
        .expect("an address such as 127.0.0.1:18005");
    let app = Router::new().route("/helloworld/{name}", get(say_hello));
    println!("peer-volo-http listening on {addr}");
    Server::new(app)
        .run(Address::from(addr))
        .await
        .expect("volo-http server");
}
