//! Compile-fail tests for the kratos macros live in `tests/`.
