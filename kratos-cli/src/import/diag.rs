//! What an import reports: errors (an element kratos-rs cannot express; nothing is
//! written) and warnings (something dropped on the way, said once on stderr). Each
//! names the file, the line protox recorded for the element, and the element.

use std::fmt;

use prost_reflect::FileDescriptor;

/// One report about one element of a `.proto` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's name as imported (`helloworld/v1/greeter.proto`).
    pub file: String,
    /// 1-based line of the element, when the source is known.
    pub line: Option<usize>,
    /// The element's full name (`helloworld.v1.HelloRequest.name`).
    pub element: String,
    /// What is wrong, and what to do about it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: {}: {}",
                self.file, self.element, self.message
            ),
            None => write!(f, "{}: {}: {}", self.file, self.element, self.message),
        }
    }
}

/// The errors and warnings of one import.
#[derive(Debug, Default)]
pub struct Report {
    /// Elements that cannot be expressed: nothing is written.
    pub errors: Vec<Diagnostic>,
    /// Things dropped on the way; the output is still written.
    pub warnings: Vec<Diagnostic>,
}

impl Report {
    /// Records an error about the element at `path` (its source-info path) in `file`.
    pub fn error(&mut self, file: &FileDescriptor, path: &[i32], element: &str, message: String) {
        let d = diagnostic(file, path, element, message);
        if !self.errors.contains(&d) {
            self.errors.push(d);
        }
    }

    /// Records a warning, like [`Report::error`].
    pub fn warn(&mut self, file: &FileDescriptor, path: &[i32], element: &str, message: String) {
        let d = diagnostic(file, path, element, message);
        if !self.warnings.contains(&d) {
            self.warnings.push(d);
        }
    }
}

fn diagnostic(file: &FileDescriptor, path: &[i32], element: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: file.name().to_owned(),
        line: line(file, path),
        element: element.to_owned(),
        message,
    }
}

/// The 1-based line where the element at `path` starts.
pub fn line(file: &FileDescriptor, path: &[i32]) -> Option<usize> {
    let info = file.file_descriptor_proto().source_code_info.as_ref()?;
    let location = info.location.iter().find(|l| l.path == path)?;
    location.span.first().map(|l| *l as usize + 1)
}

/// The comment written before the element at `path` (or after it on its line), as
/// doc text, without the leading space protoc keeps.
pub fn comment(file: &FileDescriptor, path: &[i32]) -> String {
    let Some(info) = file.file_descriptor_proto().source_code_info.as_ref() else {
        return String::new();
    };
    let Some(location) = info.location.iter().find(|l| l.path == path) else {
        return String::new();
    };
    let text = location
        .leading_comments
        .as_deref()
        .or(location.trailing_comments.as_deref())
        .unwrap_or_default();
    text.trim_end()
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}
