//! The root package's integration tests, as one test binary: each file here is a
//! module, so kratos, axum, tonic and tokio are linked once for all of them, not once
//! per file. Add a test as a module here, not as a new file in `tests/`, which cargo
//! would link as a binary of its own.
//!
//! The modules share one process, so a test keeps to itself what is process-wide:
//! it captures `tracing` with a subscriber set as its thread's default (the servers
//! run on the test's current-thread runtime), never the global one; and it asserts
//! on what it registered itself, not on everything `inventory` holds. Three tests stay
//! binaries of their own because the process is what they change:
//! `tests/graceful.rs` sends SIGTERM to its own process, `tests/json_declared_names.rs`
//! switches every message's JSON names, and `tests/registration.rs` has
//! `bootstrap::app_builder` build every `#[kratos::service]` impl in the process
//! (here there is none). Modules that need optional features are compiled only with them.
//!
//! Shared by the modules: `common` (the echo service every binding is tried on),
//! `curl` (raw HTTP requests and their answers) and `process` (the example binaries
//! and the Python peers, run as a user runs them).

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

mod common;
mod curl;
mod process;

mod app;
mod circuitbreaker;
mod client;
#[cfg(all(feature = "xml", feature = "yaml", feature = "form"))]
mod codecs;
mod config;
mod connections;
mod deadlines;
mod discovery;
mod envelope;
mod errors;
mod example;
#[cfg(feature = "jwt")]
mod example_auth;
mod example_files;
mod example_log;
#[cfg(feature = "metrics")]
mod example_metrics;
mod example_ratelimit;
mod example_stream;
#[cfg(feature = "opentelemetry")]
mod example_trace;
mod features;
mod form_stream;
mod grpc_input;
#[cfg(all(feature = "xml", feature = "yaml", feature = "form"))]
mod hostile_codecs;
mod http;
mod http_body;
#[cfg(all(feature = "proto-export", feature = "reflection", feature = "openapi"))]
mod injection;
#[cfg(feature = "jwt")]
mod jwt;
mod logging;
mod messages;
#[cfg(feature = "metrics")]
mod metrics;
mod middleware;
#[cfg(all(feature = "metrics", feature = "opentelemetry"))]
mod observers;
mod panics;
mod peer;
#[cfg(feature = "proto-export")]
mod proto_rules;
mod ratelimit;
mod streaming;
#[cfg(feature = "opentelemetry")]
mod traces;
mod unreachable;
mod validation;
