//! Where configuration comes from: the [`Source`] trait, and the file (or
//! directory) and in-memory sources. A source loads one or more layers (a
//! directory loads one per file, so errors and origins name the file) and may
//! watch for changes; a remote store is one more implementation.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::ConfigError;

/// One tree a source contributes, and where it came from (a file path, `env`, ...).
#[derive(Debug, Clone)]
pub struct Layer {
    /// Named in errors and in [`crate::ConfigValue::origin`].
    pub origin: String,
    /// The tree.
    pub tree: Value,
}

/// What a source calls when what it loads has changed.
pub type Changed = Arc<dyn Fn() + Send + Sync>;

/// Kept alive while a source watches; dropping it stops the watching.
pub type WatchGuard = Box<dyn Any + Send>;

/// A source of configuration.
pub trait Source: Send + Sync + 'static {
    /// A name for errors and logs.
    fn name(&self) -> String;
    /// Loads the layers, in order; `below` is what the earlier sources merged to
    /// (the environment source overrides keys defined there).
    fn load(&self, below: &Value) -> Result<Vec<Layer>, ConfigError>;
    /// Starts calling `changed` when the source changes; `None` if it never does.
    fn watch(&self, changed: Changed) -> Result<Option<WatchGuard>, ConfigError> {
        let _ = changed;
        Ok(None)
    }
}

/// A config file (`.yaml`, `.yml`, `.json`, `.toml`), or a directory of them read in name order.
#[derive(Debug, Clone)]
pub struct FileSource {
    path: PathBuf,
}

impl FileSource {
    /// A file or a directory.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn files(&self) -> Result<Vec<PathBuf>, ConfigError> {
        let meta = std::fs::metadata(&self.path).map_err(|source| ConfigError::Read {
            path: self.path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Ok(vec![self.path.clone()]);
        }
        let mut files: Vec<_> = std::fs::read_dir(&self.path)
            .map_err(|source| ConfigError::ListDir {
                path: self.path.clone(),
                source,
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && format_of(p).is_some())
            .collect();
        files.sort();
        Ok(files)
    }
}

#[derive(Clone, Copy)]
enum Format {
    Yaml,
    Json,
    Toml,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "yaml" | "yml" => Some(Format::Yaml),
        "json" => Some(Format::Json),
        "toml" => Some(Format::Toml),
        _ => None,
    }
}

/// Reads one file; a parse error names the file, the line and the reason.
pub(crate) fn load_file(path: &Path) -> Result<Value, ConfigError> {
    let format = format_of(path).ok_or_else(|| ConfigError::UnknownFormat {
        path: path.to_owned(),
    })?;
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let parsed = match format {
        _ if text.trim().is_empty() => Ok(Value::Object(Default::default())),
        Format::Yaml => serde_norway::from_str::<Value>(&text).map_err(|e| e.to_string()),
        Format::Json => serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()),
        Format::Toml => toml::from_str::<Value>(&text).map_err(|e| e.to_string()),
    };
    match parsed {
        // A YAML file of only comments is null: nothing to merge.
        Ok(Value::Null) => Ok(Value::Object(Default::default())),
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(ConfigError::NotAMap {
            path: path.to_owned(),
            found: kind(&other),
        }),
        Err(reason) => Err(ConfigError::Parse {
            path: path.to_owned(),
            reason: reason.trim().to_owned(),
        }),
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

impl Source for FileSource {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&self, _below: &Value) -> Result<Vec<Layer>, ConfigError> {
        self.files()?
            .into_iter()
            .map(|file| {
                Ok(Layer {
                    tree: load_file(&file)?,
                    origin: file.display().to_string(),
                })
            })
            .collect()
    }

    fn watch(&self, changed: Changed) -> Result<Option<WatchGuard>, ConfigError> {
        use notify::{EventKind, RecursiveMode, Watcher};

        let is_dir = self.path.is_dir();
        // Editors replace a file by renaming over it, so a file is watched through its directory.
        let dir = if is_dir {
            self.path.clone()
        } else {
            match self.path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let file_name = (!is_dir).then(|| self.path.file_name().map(|n| n.to_owned()));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if !matches!(
                    event.kind,
                    EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
                ) {
                    return;
                }
                let relevant = event.paths.iter().any(|p| match &file_name {
                    Some(Some(name)) => p.file_name() == Some(name.as_os_str()),
                    Some(None) => false,
                    None => format_of(p).is_some(),
                });
                if relevant {
                    let _ = tx.send(());
                }
            })
            .map_err(|e| ConfigError::Watch {
                path: dir.clone(),
                source: e.into(),
            })?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| ConfigError::Watch {
                path: dir.clone(),
                source: e.into(),
            })?;
        std::thread::Builder::new()
            .name("kratos-config-watch".to_owned())
            .spawn(move || {
                // Ends when the watcher (and with it the sender) is dropped.
                while rx.recv().is_ok() {
                    // One write is several events (truncate, write, close): wait for quiet.
                    while rx.recv_timeout(Duration::from_millis(100)).is_ok() {}
                    changed();
                }
            })
            .map_err(|source| ConfigError::WatchThread { source })?;
        Ok(Some(Box::new(watcher)))
    }
}

/// Values given in code: a tree, or dotted keys with values.
#[derive(Debug, Clone)]
pub struct MemorySource {
    name: String,
    tree: Value,
}

impl MemorySource {
    /// A source of `tree`.
    pub fn new(name: impl Into<String>, tree: Value) -> Self {
        Self {
            name: name.into(),
            tree,
        }
    }

    /// A source of dotted keys and their values (`[("server.http.addr", json!("..."))]`).
    pub fn from_pairs<'a>(
        name: impl Into<String>,
        pairs: impl IntoIterator<Item = (&'a str, Value)>,
    ) -> Self {
        let mut tree = Value::Object(Default::default());
        for (key, value) in pairs {
            crate::tree::set(&mut tree, key, value);
        }
        Self::new(name, tree)
    }
}

impl Source for MemorySource {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn load(&self, _below: &Value) -> Result<Vec<Layer>, ConfigError> {
        Ok(vec![Layer {
            origin: self.name.clone(),
            tree: self.tree.clone(),
        }])
    }
}
