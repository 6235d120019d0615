//! Reading `.proto` files in pure Rust with protox: the files named on the command
//! line, their imports from the `-I` directories, protobuf's own well-known files
//! (built into protox) and, when no include directory has them, the option files
//! Go kratos projects import (`google/api/annotations.proto`, `google/api/http.proto`,
//! `errors/errors.proto`), embedded here so an import needs no googleapis checkout.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use miette::Diagnostic as _;
use prost_reflect::FileDescriptor;
use protox::file::{
    ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver,
};

/// The option and well-known files an import reads but never writes as Rust.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "google/api/http.proto",
        include_str!("third_party/google/api/http.proto"),
    ),
    (
        "google/api/annotations.proto",
        include_str!("third_party/google/api/annotations.proto"),
    ),
    (
        "errors/errors.proto",
        include_str!("third_party/errors/errors.proto"),
    ),
];

/// Serves [`EMBEDDED`], after the include directories.
struct Embedded;

impl FileResolver for Embedded {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match EMBEDDED.iter().find(|(n, _)| *n == name) {
            Some((name, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// How deep `{ .. }` blocks may nest in a file: kratos-rs's one nesting limit
/// (`kratos::encoding::MAX_DEPTH`), far past any real API, and well short of where
/// the parser's recursion would overflow the stack.
pub const MAX_DEPTH: usize = 100;

/// Checks every file under the include directories for [`MAX_DEPTH`] before the
/// parser opens it (opening parses), keeping the finding for the error message.
struct DepthGuard<R> {
    inner: R,
    includes: Vec<PathBuf>,
    found: Rc<RefCell<Option<String>>>,
}

impl<R: FileResolver> FileResolver for DepthGuard<R> {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        self.inner.resolve_path(path)
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let source = self
            .includes
            .iter()
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
            .and_then(|path| std::fs::read_to_string(path).ok());
        if let Some((line, depth)) = source.as_deref().and_then(too_deep) {
            let text =
                format!("{name}:{line}: blocks nest {depth} deep, past the limit of {MAX_DEPTH}");
            *self.found.borrow_mut() = Some(text.clone());
            return Err(protox::Error::new(text));
        }
        self.inner.open_file(name)
    }
}

/// The line where `{` blocks first nest past [`MAX_DEPTH`], outside strings and comments.
fn too_deep(source: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((line, depth));
                }
            }
            '}' => depth = depth.saturating_sub(1),
            '"' | '\'' => {
                let mut escaped = false;
                for s in chars.by_ref() {
                    if s == '\n' {
                        line += 1;
                    }
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut star = false;
                for s in chars.by_ref() {
                    if s == '\n' {
                        line += 1;
                    }
                    if star && s == '/' {
                        break;
                    }
                    star = s == '*';
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a file declares options or well-known types rather than an API: its
/// types come from kratos (`kratos::proto`), it is never written as Rust.
pub fn is_support_file(name: &str) -> bool {
    name.starts_with("google/protobuf/")
        || name.starts_with("buf/validate/")
        || matches!(
            name,
            "google/api/http.proto"
                | "google/api/annotations.proto"
                | "google/api/httpbody.proto"
                | "google/api/field_behavior.proto"
                | "google/api/client.proto"
                | "kratos/api/api.proto"
                | "errors/errors.proto"
                | "validate/validate.proto"
        )
}

/// The parsed files: the pool (with every import) and the files to write as Rust.
pub struct Loaded {
    /// The files named on the command line and the API files they import, in
    /// dependency order.
    pub files: Vec<FileDescriptor>,
    /// The names of the files named on the command line (`helloworld/v1/greeter.proto`).
    pub roots: Vec<String>,
}

/// Parses `paths` with the include directories `includes` (the current directory
/// when none is given, as protoc does). The error is a ready-to-print sentence with
/// the file and line protox reports.
pub fn load(paths: &[PathBuf], includes: &[PathBuf]) -> Result<Loaded, String> {
    let includes: Vec<PathBuf> = if includes.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        includes.to_vec()
    };
    let mut resolver = ChainFileResolver::new();
    for include in &includes {
        resolver.add(IncludeFileResolver::new(include.clone()));
    }
    resolver.add(GoogleFileResolver::new());
    resolver.add(Embedded);
    let found = Rc::new(RefCell::new(None));
    let guard = DepthGuard {
        inner: resolver,
        includes: includes.clone(),
        found: found.clone(),
    };
    let mut compiler = protox::Compiler::with_file_resolver(guard);
    compiler.include_source_info(true).include_imports(true);
    for path in paths {
        if let Err(e) = compiler.open_file(path) {
            if let Some(text) = found.borrow_mut().take() {
                return Err(text);
            }
            return Err(describe(&e, path, &includes));
        }
    }
    let roots = compiler
        .files()
        .filter(|f| !f.is_import())
        .map(|f| f.name().to_owned())
        .collect();
    let pool = compiler.descriptor_pool();
    let files = pool
        .files()
        .filter(|f| !is_support_file(f.name()))
        .collect();
    Ok(Loaded { files, roots })
}

/// `file:line: message`, from what protox knows about the error.
fn describe(e: &protox::Error, path: &Path, includes: &[PathBuf]) -> String {
    let file = e
        .file()
        .map(str::to_owned)
        .unwrap_or_else(|| path.display().to_string());
    let line = e
        .labels()
        .and_then(|mut labels| labels.next())
        .and_then(|label| {
            let source = e.source_code()?;
            let span = source.read_span(label.inner(), 0, 0).ok()?;
            Some(span.line() + 1)
        });
    let mut text = match line {
        Some(line) => format!("{file}:{line}: {e}"),
        None => format!("{file}: {e}"),
    };
    if let Some(help) = e.help() {
        text.push_str(&format!(" ({help})"));
    }
    if e.is_file_not_found() || e.to_string().contains("not in any include path") {
        let dirs: Vec<String> = includes.iter().map(|d| d.display().to_string()).collect();
        text.push_str(&format!(
            "; include directories: {} (add one with -I DIR)",
            dirs.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        let deep = "message A {".repeat(MAX_DEPTH + 1);
        assert_eq!(
            too_deep(&format!("syntax = \"proto3\";\n{deep}")),
            Some((2, MAX_DEPTH + 1))
        );
        let quoted = format!("// {deep}\n/* {deep} */ option x = \"{deep}\";\nmessage A {{}}");
        assert_eq!(too_deep(&quoted), None);
        assert_eq!(too_deep(&"message A {".repeat(MAX_DEPTH)), None);
    }
}
