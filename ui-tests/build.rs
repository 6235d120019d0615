//! Turns the README's ```rust blocks into doc tests (src/lib.rs includes the result).
//!
//! A block that is a fragment gets its context from an HTML comment right above it,
//! which GitHub does not render:
//!
//! ```text
//! <!-- doctest
//! use kratos::prelude::*;
//! async fn demo() -> kratos::Result<()> {
//! ...
//! Ok(())
//! }
//! -->
//! ```
//!
//! Lines before `...` go before the block, lines after it after the block, as hidden
//! lines. Every block is compiled, none is run (`no_run`): most start servers.

use std::fmt::Write as _;

fn main() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    println!("cargo:rerun-if-changed={readme}");
    let text = std::fs::read_to_string(readme).expect("README.md is readable");
    let mut out = String::new();
    let mut context: Option<(Vec<&str>, Vec<&str>)> = None;
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        if line.trim() == "<!-- doctest" {
            let (mut before, mut after) = (Vec::new(), Vec::new());
            let mut past = false;
            for (_, line) in lines.by_ref() {
                match line.trim() {
                    "-->" => break,
                    "..." => past = true,
                    _ if past => after.push(line),
                    _ => before.push(line),
                }
            }
            context = Some((before, after));
            continue;
        }
        if line.trim() != "```rust" {
            if !line.trim().is_empty() {
                context = None;
            }
            continue;
        }
        let (before, after) = context.take().unwrap_or_default();
        writeln!(out, "README.md line {}:\n\n```rust,no_run", number + 1).unwrap();
        let hidden = |out: &mut String, lines: &[&str]| {
            for line in lines {
                writeln!(out, "# {line}").unwrap();
            }
        };
        hidden(&mut out, &before);
        for (_, line) in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            writeln!(out, "{line}").unwrap();
        }
        hidden(&mut out, &after);
        out.push_str("```\n\n");
    }
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("README.md");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
