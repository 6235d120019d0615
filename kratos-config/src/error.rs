//! [`ConfigError`]: what goes wrong reading configuration, one variant per thing a
//! person fixes (a file, a key, a variable, a watch), each message naming it. The
//! framework turns it into its wire error (`kratos::Error`, code 500, reason `CONFIG`)
//! where it crosses into a request or the start-up; this crate does not know it.

use std::path::PathBuf;

/// A boxed error from below (the file watcher, a custom source).
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why configuration could not be loaded, watched, or read at a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A config file, or the file or directory given as a source, cannot be read.
    #[error("cannot read config {}: {source}", .path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A config directory cannot be listed.
    #[error("cannot list config dir {}: {source}", .path.display())]
    ListDir {
        /// The directory.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A file given by name whose extension is none of the formats read.
    #[error("config file {} is not .yaml, .yml, .json or .toml", .path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A file that does not parse as its format.
    #[error("config {}: {reason}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line (and column) where it stopped.
        reason: String,
    },
    /// A file that parses, but whose top level is not a map of keys.
    #[error("config {}: the top level is a {found}, not a map of keys", .path.display())]
    NotAMap {
        /// The file.
        path: PathBuf,
        /// What the top level is: `list`, `string`, ...
        found: &'static str,
    },
    /// An environment variable whose text does not read as the type of the key it overrides.
    #[error("environment override of config key {key:?}: {value:?} is not a {expected}")]
    Env {
        /// The dotted key the variable overrides.
        key: String,
        /// The variable's text.
        value: String,
        /// The type the key holds: `bool`, `number`, ...
        expected: String,
    },
    /// `${..}` placeholders that refer to each other in a cycle.
    #[error("config placeholders refer to each other in a cycle: {}", .chain.join(" -> "))]
    PlaceholderCycle {
        /// The keys of the cycle, the first one repeated at the end.
        chain: Vec<String>,
    },
    /// A `${` without its `}`.
    #[error(
        "config key {key:?}: unclosed placeholder in {text:?}: write ${{NAME}} or ${{NAME:default}}"
    )]
    UnclosedPlaceholder {
        /// The dotted key whose value holds it.
        key: String,
        /// The value.
        text: String,
    },
    /// A key read as a value that the configuration does not hold.
    #[error("config key {key:?} is missing")]
    Missing {
        /// The dotted key.
        key: String,
    },
    /// A key whose value is of another kind than the one asked for (a list read as an integer).
    #[error("{} is a {found} ({value}), not {expected}", at(.key, .origin))]
    WrongType {
        /// The dotted key.
        key: String,
        /// The source that set it (a file path, `env KRATOS_*`, ...).
        origin: Option<String>,
        /// What the value is: `list`, `string`, ...
        found: &'static str,
        /// The value, as JSON.
        value: String,
        /// What was asked for: `an integer`, `a bool`, ...
        expected: &'static str,
    },
    /// A value that does not deserialize into the type asked for, or a duration that does not parse.
    #[error("{}: {reason}", at(.key, .origin))]
    Invalid {
        /// The dotted key of the innermost value that failed (`<root>` for the whole tree).
        key: String,
        /// The source that set it.
        origin: Option<String>,
        /// Why, as serde or the duration parser says it.
        reason: String,
    },
    /// The file watcher cannot watch a directory.
    #[error("cannot watch {}: {source}", .path.display())]
    Watch {
        /// The directory watched (a file is watched through its directory).
        path: PathBuf,
        /// What the watcher said.
        source: BoxError,
    },
    /// The thread that reloads on file changes cannot be started.
    #[error("cannot start the config watcher: {source}")]
    WatchThread {
        /// What the system said.
        source: std::io::Error,
    },
    /// A custom [`Source`](crate::Source) (a remote store, ...) failed to load or watch.
    #[error("config source {name}: {source}")]
    Source {
        /// The source's [`name`](crate::Source::name).
        name: String,
        /// Its own error.
        source: BoxError,
    },
}

/// `config key "a.b"`, and the source that set it when known, for a message.
fn at(key: &str, origin: &Option<String>) -> String {
    match origin {
        Some(origin) => format!("config key {key:?} (from {origin})"),
        None => format!("config key {key:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_key_and_its_source_as_before_the_split() {
        let wrong = ConfigError::WrongType {
            key: "a.list".to_owned(),
            origin: Some("c.yaml".to_owned()),
            found: "list",
            value: "[1]".to_owned(),
            expected: "an integer",
        };
        assert_eq!(
            wrong.to_string(),
            "config key \"a.list\" (from c.yaml) is a list ([1]), not an integer"
        );
        let invalid = ConfigError::Invalid {
            key: "a.d".to_owned(),
            origin: None,
            reason: "invalid duration \"soon\"".to_owned(),
        };
        assert_eq!(
            invalid.to_string(),
            "config key \"a.d\": invalid duration \"soon\""
        );
        let cycle = ConfigError::PlaceholderCycle {
            chain: vec!["a".into(), "b".into(), "a".into()],
        };
        assert_eq!(
            cycle.to_string(),
            "config placeholders refer to each other in a cycle: a -> b -> a"
        );
    }
}
