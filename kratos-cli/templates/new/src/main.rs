//! {{name}}: the Greeter service over HTTP (`GET /helloworld/{name}` on :8000) and gRPC
//! (`helloworld.v1.Greeter/SayHello` on :9000), laid out as Go kratos projects are:
//! `api` (the contract), `service` (the API's implementation), `biz` (the use cases and
//! the repository they need), `data` (the repository).
//!
//! ```text
//! kratos run                                   # or: cargo run -- -conf configs
//! curl http://127.0.0.1:8000/helloworld/kratos # {"message":"Hello kratos"}
//! ```

use kratos::prelude::*;
{{registry_use}}

mod api;
mod biz;
mod data;
mod service;

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    // Dependency injection, by hand and in one place: data -> biz -> service.
    let data = data::Data::new(app.loaded_config())?;
    let greeter = biz::GreeterUsecase::new(data::GreeterStore::new(data));
    let service = service::GreeterService::new(greeter);
    Ok(app.service(api::GreeterServer::new(service)).build())
}
