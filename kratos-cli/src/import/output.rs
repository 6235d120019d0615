//! Writing generated files without ever losing a hand-written one: a file is
//! replaced only when it carries the generator's header; a `mod.rs` with the header
//! keeps the modules it already declared beside the new ones.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Whether `path` may be written: it does not exist, or starts with `header`.
pub fn ours(path: &Path, header: &str) -> bool {
    match std::fs::read_to_string(path) {
        Ok(text) => text.starts_with(header),
        Err(_) => !path.exists(),
    }
}

/// The modules a `mod.rs` declares (`pub mod x;` or `mod x;` lines).
fn declared(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("pub ").unwrap_or(l).strip_prefix("mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// Writes `dir/mod.rs` declaring `modules` (beside those it declares already) when
/// it is absent or starts with `header`; otherwise leaves it and says on stderr
/// which modules to declare in it. Returns the file to write, if any.
pub fn mod_rs(
    dir: &Path,
    modules: &[String],
    header: &str,
    render: impl Fn(&[String]) -> String,
) -> Option<(PathBuf, String)> {
    let path = dir.join("mod.rs");
    if ours(&path, header) {
        let all = merged_modules(dir, modules, header);
        return Some((path, render(&all)));
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let have = declared(&text);
    let missing: Vec<String> = modules
        .iter()
        .filter(|m| !have.contains(m))
        .map(|m| format!("pub mod {m};"))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "kratos: {} is not generated: declare the new modules in it yourself: {}",
            path.display(),
            missing.join(" ")
        );
    }
    None
}

/// The modules of `dir/mod.rs` (when it starts with `header`) plus `new`, sorted.
pub fn merged_modules(dir: &Path, new: &[String], header: &str) -> Vec<String> {
    let mut all: BTreeSet<String> = new.iter().cloned().collect();
    if let Ok(text) = std::fs::read_to_string(dir.join("mod.rs"))
        && text.starts_with(header)
    {
        all.extend(declared(&text));
    }
    all.into_iter().collect()
}

/// Writes every `(path, text)`, creating directories; the paths written.
pub fn write_all(files: &[(PathBuf, String)]) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path.clone());
    }
    Ok(written)
}
