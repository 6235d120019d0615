//! Every HTTP answer wrapped in a team's envelope `{code, message, data}`, by
//! replacing the HTTP server's reply and error encoders.
//!
//! ```text
//! cargo run --example envelope -- -conf examples/helloworld/configs
//! curl http://127.0.0.1:8000/hello/kratos
//!   {"code":0,"message":"OK","data":{"message":"Hello kratos"}}
//! curl -H 'Accept: application/yaml' http://127.0.0.1:8000/hello/nobody   # 404
//!   code: 404
//!   message: nobody is not here
//!   data: null
//! ```

// An example's items are read, not linked: the library lints do not apply.
#![allow(missing_docs, unreachable_pub)]

mod envelope;

use kratos::prelude::*;

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    Ok(app.map_server(envelope::install).build())
}
