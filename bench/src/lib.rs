//! Benchmarks of kratos. `benches/` holds the per-call cost of the middleware
//! chain (`cargo bench`); `src/bin/` holds the raw axum and raw tonic servers that
//! `run.sh` loads side by side with the kratos helloworld, and `compile.sh` times
//! their builds against it. Results are recorded in `RESULTS.md`.
