//! The smallest `#[kratos::main]` program: servers and no service (the gRPC server
//! still answers health checks and reflection). `-export-proto` on it exits 1,
//! since there is nothing to export.
//!
//! ```text
//! cargo run --example empty -- -export-proto api/   # "nothing to export: ...", exit 1
//! ```

#[kratos::main]
async fn main() {}
