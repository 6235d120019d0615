//! The greeter repository over `Data`.

use std::sync::atomic::Ordering;

use crate::biz::{Greeter, GreeterRepo};
use crate::data::Data;

/// `GreeterRepo` over the shared `Data`.
pub struct GreeterStore {
    data: Data,
}

impl GreeterStore {
    /// The repository over `data`.
    pub fn new(data: Data) -> Self {
        Self { data }
    }
}

impl GreeterRepo for GreeterStore {
    async fn save(&self, g: Greeter) -> kratos::Result<Greeter> {
        // A real repository writes `g` through a client of `Data` here.
        self.data.saved.fetch_add(1, Ordering::Relaxed);
        Ok(g)
    }
}
