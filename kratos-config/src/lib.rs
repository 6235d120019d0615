//! Configuration: sources (files, a directory of files, environment variables,
//! values in code, and any [`Source`] such as a remote store) merged into one
//! tree, later sources over earlier ones (maps merge deeply, lists and scalars
//! replace), placeholders resolved, read by dotted key ([`Config::value`],
//! [`Config::get`]) or scanned into a serde struct ([`Config::scan`]).
//!
//! A source that watches (files do, through `notify`) triggers a reload: every
//! source is read again, and the new tree replaces the old one atomically
//! (`arc-swap`), so a reader sees one version or the other, never half of each.
//! A reload that fails (a file that no longer parses) keeps the running config
//! and logs the file, line and reason. [`Config::watch`] calls back when a key's
//! value changes; [`Atomic`] keeps a typed value current for the hot path.
//!
//! The crate stands alone, as `config` is its own package in Go kratos: a program
//! that is not a kratos service uses it as is. Under the framework it is
//! `kratos::config`, and a [`ConfigError`] becomes a `kratos::Error` (code 500,
//! reason `CONFIG`, the same message) where it meets a request or the start-up.
//!
//! ```
//! use std::time::Duration;
//!
//! use kratos_config::{Config, MemorySource, duration};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Http {
//!     addr: String,
//!     #[serde(deserialize_with = "duration::deserialize")]
//!     timeout: Duration,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let yaml = "server:\n  http:\n    addr: 0.0.0.0:8000\n    timeout: 1s\n";
//! std::fs::write(dir.path().join("config.yaml"), yaml)?;
//! let config = Config::builder()
//!     .file(dir.path()) // every .yaml, .yml, .json and .toml in it, in name order
//!     .source(MemorySource::from_pairs(
//!         "overrides",
//!         [("server.http.addr", serde_json::json!("127.0.0.1:9000"))],
//!     ))
//!     .watch(false) // a long-running program keeps the default: reload on edits
//!     .build()?;
//!
//! let http: Http = config.get("server.http")?.expect("config.yaml sets it");
//! assert_eq!(http.addr, "127.0.0.1:9000");
//! assert_eq!(http.timeout, Duration::from_secs(1));
//! let missing = config.value("server.http.port").int().unwrap_err();
//! assert_eq!(missing.to_string(), "config key \"server.http.port\" is missing");
//! # Ok(())
//! # }
//! ```

mod atomic;
mod env;
mod error;
mod source;
mod tree;
mod value;

use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use arc_swap::ArcSwap;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use atomic::Atomic;
pub use env::{DEFAULT_ENV_PREFIX, EnvSource};
pub use error::ConfigError;
pub use source::{Changed, FileSource, Layer, MemorySource, Source, WatchGuard};
pub use value::{ConfigValue, duration, parse_duration};

use value::Snapshot;

type Callback = Arc<dyn Fn(&ConfigValue) + Send + Sync>;

/// A configuration: cheap to clone, every clone sees the same (reloading) tree.
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Vec<Box<dyn Source>>,
    current: ArcSwap<Snapshot>,
    watchers: Mutex<Vec<(String, Callback)>>,
    reloading: Mutex<()>,
    guards: Mutex<Vec<WatchGuard>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "sources",
                &self
                    .inner
                    .sources
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .field("tree", &self.inner.current.load().root)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::empty()
    }
}

/// Collects the sources of a [`Config`], in order (later ones win).
#[derive(Default)]
#[must_use = "a ConfigBuilder loads nothing until `.build()`"]
pub struct ConfigBuilder {
    sources: Vec<Box<dyn Source>>,
    watch: bool,
}

impl ConfigBuilder {
    /// Adds a source.
    pub fn source(mut self, source: impl Source) -> Self {
        self.sources.push(Box::new(source));
        self
    }

    /// Adds a file, or a directory of `.yaml`, `.yml`, `.json` and `.toml` files.
    pub fn file(self, path: impl AsRef<Path>) -> Self {
        self.source(FileSource::new(path.as_ref()))
    }

    /// Adds the environment variables starting with `prefix` (see [`EnvSource`]).
    pub fn env(self, prefix: &str) -> Self {
        self.source(EnvSource::new(prefix))
    }

    /// Whether sources that can watch start watching (default: yes).
    pub fn watch(mut self, on: bool) -> Self {
        self.watch = on;
        self
    }

    /// Loads every source; fails with the first source's error (file, line, key).
    pub fn build(self) -> Result<Config, ConfigError> {
        let snapshot = load(&self.sources)?;
        let config = Config::assemble(self.sources, snapshot);
        if self.watch {
            config.start_watching()?;
        }
        Ok(config)
    }
}

/// Reads every source, merges, resolves placeholders.
fn load(sources: &[Box<dyn Source>]) -> Result<Snapshot, ConfigError> {
    let mut snapshot = Snapshot {
        root: Value::Object(Default::default()),
        ..Snapshot::default()
    };
    for source in sources {
        for layer in source.load(&snapshot.root)? {
            tree::merge(
                &mut snapshot.root,
                layer.tree,
                "",
                &layer.origin,
                &mut snapshot.origins,
            );
        }
    }
    tree::resolve_placeholders(&mut snapshot.root)?;
    Ok(snapshot)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Config {
    /// A configuration of sources, in order.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            watch: true,
            ..ConfigBuilder::default()
        }
    }

    /// An empty configuration: every key is missing, so every setting takes its default.
    pub fn empty() -> Self {
        Self::from_value(Value::Object(Default::default()))
    }

    /// A configuration of one tree given in code.
    /// Placeholders are resolved; one that cannot be (a cycle) is left as written and logged.
    pub fn from_value(root: Value) -> Self {
        let sources: Vec<Box<dyn Source>> =
            vec![Box::new(MemorySource::new("memory", root.clone()))];
        let snapshot = load(&sources).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "config placeholders left unresolved");
            let mut snapshot = Snapshot::default();
            tree::merge(
                &mut snapshot.root,
                root,
                "",
                "memory",
                &mut snapshot.origins,
            );
            snapshot
        });
        Self::assemble(sources, snapshot)
    }

    fn assemble(sources: Vec<Box<dyn Source>>, snapshot: Snapshot) -> Self {
        Self {
            inner: Arc::new(Inner {
                sources,
                current: ArcSwap::from_pointee(snapshot),
                watchers: Mutex::new(Vec::new()),
                reloading: Mutex::new(()),
                guards: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Loads a file or a directory of config files, and watches it.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::builder().file(path).build()
    }

    fn start_watching(&self) -> Result<(), ConfigError> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let changed: Changed = Arc::new(move || {
            // The watch outlives nothing: once every Config is dropped it stops reloading.
            if let Some(inner) = weak.upgrade() {
                let config = Config { inner };
                if let Err(e) = config.reload() {
                    tracing::error!(error = %e, "config reload failed; the running config is kept");
                }
            }
        });
        let mut guards = lock(&self.inner.guards);
        for source in &self.inner.sources {
            if let Some(guard) = source.watch(changed.clone())? {
                guards.push(guard);
            }
        }
        Ok(())
    }

    /// Reads every source again and, if all load, replaces the tree and calls the
    /// watchers of the keys whose value changed; on error the tree is unchanged.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let _one_at_a_time = lock(&self.inner.reloading);
        let fresh = Arc::new(load(&self.inner.sources)?);
        let old = self.inner.current.swap(fresh.clone());
        if old.root == fresh.root {
            tracing::debug!("config sources changed, values did not");
            return Ok(());
        }
        let changed = changed_leaves(&old.root, &fresh.root);
        // Logged before the watchers run, so their own logs read as its consequences.
        tracing::info!(changed = ?changed, "config reloaded");
        let watchers: Vec<(String, Callback)> = lock(&self.inner.watchers).clone();
        for (key, callback) in watchers {
            if tree::lookup(&old.root, &key) != tree::lookup(&fresh.root, &key) {
                callback(&ConfigValue::new(fresh.clone(), &key));
            }
        }
        Ok(())
    }

    /// The value at a dotted key (`server.http.addr`), read as the type asked for.
    pub fn value(&self, key: &str) -> ConfigValue {
        ConfigValue::new(self.inner.current.load_full(), key)
    }

    /// The value at a dotted key deserialized into `T`; `Ok(None)` when the key is missing.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        let snapshot = self.inner.current.load();
        match tree::lookup(&snapshot.root, key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => snapshot.scan(key).map(Some),
        }
    }

    /// The whole tree deserialized into `T`; an error names the key (and file) that failed.
    pub fn scan<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        self.inner.current.load().scan("")
    }

    /// Calls `callback` with the new value each time a reload changes the value at `key`
    /// (including its appearing or disappearing). It runs on the reloading thread.
    pub fn watch(&self, key: &str, callback: impl Fn(&ConfigValue) + Send + Sync + 'static) {
        lock(&self.inner.watchers).push((key.to_owned(), Arc::new(callback)));
    }

    /// The value at `key` as a `T` that stays current across reloads.
    ///
    /// Reloads reach it only while this `Config` (or a clone, such as the one the
    /// running `App` owns) is alive.
    pub fn atomic<T: DeserializeOwned + Send + Sync + 'static>(
        &self,
        key: &str,
    ) -> Result<Atomic<T>, ConfigError> {
        self.bind(key, |value| value.scan::<T>())
    }

    /// As [`Config::atomic`], with `default` while the key is missing (at start, or
    /// after a reload removed it).
    pub fn atomic_or<T: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        key: &str,
        default: T,
    ) -> Result<Atomic<T>, ConfigError> {
        self.bind(key, move |value| match value.exists() {
            true => value.scan::<T>(),
            false => Ok(default.clone()),
        })
    }

    fn bind<T: Send + Sync + 'static>(
        &self,
        key: &str,
        read: impl Fn(&ConfigValue) -> Result<T, ConfigError> + Send + Sync + 'static,
    ) -> Result<Atomic<T>, ConfigError> {
        let atomic = Atomic::new(read(&self.value(key))?);
        let target = atomic.clone();
        self.watch(key, move |value| match read(value) {
            Ok(v) => target.store(v),
            Err(e) => {
                tracing::error!(key = value.key(), error = %e, "config value no longer fits its type; keeping the old one");
            }
        });
        Ok(atomic)
    }
}

/// The dotted keys whose leaf values differ between two trees (added, removed or changed), for the log.
fn changed_leaves(old: &Value, fresh: &Value) -> Vec<String> {
    let mut keys = tree::leaves(old);
    keys.extend(tree::leaves(fresh));
    keys.sort();
    keys.dedup();
    keys.retain(|key| tree::lookup(old, key) != tree::lookup(fresh, key));
    keys
}

#[cfg(test)]
mod tests;
