//! The `registry` config section of an etcd registry, with Go kratos's defaults
//! (prefix `/microservices`, TTL 15s) and the checks that turn a wrong section
//! into an error naming its key, before anything dials etcd.

use std::time::Duration;

use kratos_config::{Config, duration};
use kratos_core::Error;
use serde::Deserialize;

/// How to reach etcd and how to lay out and lease the keys
/// (`registry: { kind: etcd, endpoints: [...] }` in an app's config).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EtcdConfig {
    /// etcd client URLs, `http://10.0.0.7:2379` (a bare `host:port` means http). Required.
    pub endpoints: Vec<String>,
    /// Keys are `{prefix}/{name}/{id}`; Go kratos calls it the namespace.
    pub prefix: String,
    /// Lease time to live: how long a crashed instance stays discoverable.
    #[serde(deserialize_with = "duration::deserialize")]
    pub ttl: Duration,
    /// Bounds connecting to etcd and each call made to it.
    #[serde(deserialize_with = "duration::deserialize")]
    pub dial_timeout: Duration,
    /// User name, for an etcd with authentication on.
    pub username: Option<String>,
    /// Password of `username`.
    pub password: Option<String>,
}

/// The section the factory reads.
pub(crate) const SECTION: &str = "registry";

impl Default for EtcdConfig {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            prefix: "/microservices".to_owned(),
            ttl: Duration::from_secs(15),
            dial_timeout: Duration::from_secs(5),
            username: None,
            password: None,
        }
    }
}

impl EtcdConfig {
    /// The defaults, with these endpoints.
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> Self {
        Self {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Sets the key prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the lease time to live.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the connect and per-call timeout.
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.dial_timeout = timeout;
        self
    }

    /// Sets the user name and password.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Reads the `registry` section of an app's whole config.
    pub fn from_config(config: &Config) -> Result<Self, Error> {
        let section: Self = config.get(SECTION)?.ok_or_else(|| {
            config_error(format!(
                "config key {SECTION:?} is missing: the etcd registry needs at least `{SECTION}.endpoints`"
            ))
        })?;
        section.validate()?;
        Ok(section)
    }

    /// Rejects what etcd would only reject later, or never (an empty endpoint list, a zero TTL).
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.endpoints.iter().all(|e| e.trim().is_empty()) {
            return Err(config_error(format!(
                "config key \"{SECTION}.endpoints\" is required by the etcd registry: \
                 a list of etcd client URLs such as [\"http://127.0.0.1:2379\"]"
            )));
        }
        if self.ttl.is_zero() {
            return Err(config_error(format!(
                "config key \"{SECTION}.ttl\" must be longer than 0 (for example \"15s\")"
            )));
        }
        if self.dial_timeout.is_zero() {
            return Err(config_error(format!(
                "config key \"{SECTION}.dial_timeout\" must be longer than 0 (for example \"5s\")"
            )));
        }
        Ok(())
    }

    /// `{prefix}` without a trailing slash, so keys never hold `//`.
    pub(crate) fn trimmed_prefix(&self) -> &str {
        self.prefix.trim_end_matches('/')
    }

    /// The lease TTL etcd is asked for: whole seconds, rounded up, at least one.
    pub(crate) fn ttl_seconds(&self) -> i64 {
        let secs = self.ttl.as_secs() + u64::from(self.ttl.subsec_nanos() > 0);
        i64::try_from(secs.max(1)).unwrap_or(i64::MAX)
    }
}

/// The reason config errors carry in kratos-core, so both read alike.
fn config_error(message: String) -> Error {
    Error::internal_server("CONFIG", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(section: serde_json::Value) -> Result<EtcdConfig, Error> {
        EtcdConfig::from_config(&Config::from_value(
            serde_json::json!({ "registry": section }),
        ))
    }

    #[test]
    fn defaults_are_go_kratos_s() {
        let config =
            read(serde_json::json!({"kind": "etcd", "endpoints": ["127.0.0.1:2379"]})).unwrap();
        assert_eq!(config, EtcdConfig::new(["127.0.0.1:2379"]));
        assert_eq!(config.prefix, "/microservices");
        assert_eq!(config.ttl, Duration::from_secs(15));
        assert_eq!(config.dial_timeout, Duration::from_secs(5));
    }

    #[test]
    fn durations_and_credentials_are_read() {
        let config = read(serde_json::json!({
            "endpoints": ["http://a:2379", "http://b:2379"], "prefix": "/svc/", "ttl": "1m30s",
            "dial_timeout": 250_000_000u64, "username": "root", "password": "pw",
        }))
        .unwrap();
        assert_eq!(config.trimmed_prefix(), "/svc");
        assert_eq!(config.ttl_seconds(), 90);
        assert_eq!(config.dial_timeout, Duration::from_millis(250));
        assert_eq!(config.username.as_deref(), Some("root"));
        assert_eq!(config.password.as_deref(), Some("pw"));
    }

    #[test]
    fn ttl_rounds_up_to_whole_seconds() {
        let config = EtcdConfig::new(["x"]);
        assert_eq!(
            config
                .clone()
                .ttl(Duration::from_millis(1500))
                .ttl_seconds(),
            2
        );
        assert_eq!(config.ttl(Duration::from_millis(10)).ttl_seconds(), 1);
    }

    #[test]
    fn wrong_sections_name_their_key() {
        let missing = read(serde_json::json!({"kind": "etcd"})).unwrap_err();
        assert!(
            missing.message.contains("registry.endpoints"),
            "{}",
            missing.message
        );
        let empty = read(serde_json::json!({"endpoints": []})).unwrap_err();
        assert!(
            empty.message.contains("registry.endpoints"),
            "{}",
            empty.message
        );
        let ttl = read(serde_json::json!({"endpoints": ["x"], "ttl": "soon"})).unwrap_err();
        assert!(ttl.message.contains("registry.ttl"), "{}", ttl.message);
        let none = EtcdConfig::from_config(&Config::empty()).unwrap_err();
        assert!(none.message.contains("registry"), "{}", none.message);
    }
}
