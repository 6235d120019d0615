//! Compile-fail tests for the kratos macros live in `tests/`; this library only
//! carries the README's code blocks as doc tests (see `build.rs`).

/// The README's ```rust blocks, each compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/README.md"))]
pub struct Readme;
