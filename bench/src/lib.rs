//! Benchmarks live in `benches/`; results are recorded in `RESULTS.md`.
