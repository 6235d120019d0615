//! The data layer: the repositories `biz` asks for, over the clients in `Data`
//! (a database pool, a cache, other services' clients), built once at start-up.

mod greeter;

pub use greeter::GreeterStore;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// The clients the repositories share; built once in `main`.
#[derive(Clone)]
pub struct Data {
    /// Stands in for a database: how many greetings were saved.
    saved: Arc<AtomicU64>,
}

impl Data {
    /// Builds the clients from the config (e.g. from a `data.database.source` key,
    /// read with `config.value("data.database.source").string()?`).
    pub fn new(_config: &kratos::Config) -> kratos::Result<Self> {
        Ok(Self {
            saved: Arc::default(),
        })
    }
}
