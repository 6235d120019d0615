//! The `middleware` section of the config: the protections `#[kratos::main]`
//! turns on without code, all off by default. `middleware.ratelimit` sheds load on
//! both servers with one BBR limiter (the process's CPU is one budget),
//! `middleware.jwt` authenticates every call on both servers (operations named in
//! `exempt` excepted), and `middleware.circuitbreaker` puts an SRE breaker on the
//! clients `main` builds. `ratelimit: true` and `circuitbreaker: true` take the
//! defaults; a map of options turns them on with those.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kratos_config::Config;
use kratos_core::middleware::{circuitbreaker, ratelimit};
use kratos_core::{Error, Middleware};
use serde::Deserialize;

/// The `middleware` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MiddlewareSection {
    /// `middleware.ratelimit`: BBR on both servers.
    pub(crate) ratelimit: Option<Switch<RateLimitSection>>,
    /// `middleware.jwt`: JWT authentication on both servers.
    pub(crate) jwt: Option<JwtSection>,
    /// `middleware.circuitbreaker`: an SRE breaker on the clients `main` builds.
    pub(crate) circuitbreaker: Option<Switch<CircuitBreakerSection>>,
}

/// A middleware's key: `true`/`false`, or its options (which turn it on).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Switch<T> {
    /// On with the defaults, or off.
    On(bool),
    /// On with these options.
    With(T),
}

impl<T: Default> Switch<T> {
    /// The options when on.
    fn options(&self) -> Option<T>
    where
        T: Clone,
    {
        match self {
            Switch::On(true) => Some(T::default()),
            Switch::On(false) => None,
            Switch::With(options) => Some(options.clone()),
        }
    }
}

/// `middleware.ratelimit`: aegis BBR's options.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RateLimitSection {
    /// The statistics window (default 10s).
    #[serde(deserialize_with = "super::optional_duration")]
    pub(crate) window: Option<Duration>,
    /// Buckets in the window (default 100).
    pub(crate) buckets: Option<usize>,
    /// CPU usage, per mille, over which calls are shed (default 800).
    pub(crate) cpu_threshold: Option<u64>,
    /// The CPU cores the process has, when its cgroup does not say.
    pub(crate) cpu_quota: Option<f64>,
}

/// `middleware.circuitbreaker`: the SRE breaker's options.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CircuitBreakerSection {
    /// `v2` (default: success ratio 0.6, 100 requests) or `v3` (0.5, 20).
    pub(crate) preset: Option<String>,
    /// The success ratio under which calls are dropped.
    pub(crate) success_ratio: Option<f64>,
    /// Calls in the window before the breaker may drop any.
    pub(crate) request: Option<u64>,
    /// The window (default 3s).
    #[serde(deserialize_with = "super::optional_duration")]
    pub(crate) window: Option<Duration>,
    /// Buckets in the window (default 10).
    pub(crate) buckets: Option<usize>,
}

/// `middleware.jwt`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct JwtSection {
    /// `HS256` (default), `HS384`, `HS512`, `RS256` ... `ES256`, `ES384`, `PS256` ..., `EdDSA`.
    pub(crate) algorithm: Option<String>,
    /// The key: the shared secret for HS*, a PEM public key for the others.
    pub(crate) key: Option<String>,
    /// A file holding the key instead (read at start).
    pub(crate) key_file: Option<PathBuf>,
    /// Operations served without a token (`/helloworld.v1.Greeter/Login`).
    pub(crate) exempt: Vec<String>,
    /// Refuse tokens without `exp` (Go kratos does not require it).
    pub(crate) require_exp: bool,
    /// The `iss` a token must have.
    pub(crate) issuer: Option<String>,
    /// The `aud` values a token may have, one of them required when set.
    pub(crate) audience: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf` (default none, as Go kratos).
    #[serde(deserialize_with = "super::optional_duration")]
    pub(crate) leeway: Option<Duration>,
}

impl MiddlewareSection {
    /// The section of `config`, or none.
    pub(crate) fn of(config: &Config) -> Result<Self, Error> {
        Ok(config.get("middleware")?.unwrap_or_default())
    }

    /// The server middlewares the section turns on, outermost first. A bad value
    /// stops the start, naming its key (never the key material).
    pub(crate) fn servers(&self) -> Result<Vec<Arc<dyn Middleware>>, Error> {
        let mut all: Vec<Arc<dyn Middleware>> = Vec::new();
        // Shedding first: a call refused for load costs no token check.
        if let Some(options) = self.ratelimit.as_ref().and_then(Switch::options) {
            all.push(Arc::new(rate_limit(&options)?));
        }
        if let Some(jwt) = &self.jwt {
            all.push(jwt_server(jwt)?);
        }
        Ok(all)
    }

    /// The client middleware the section turns on, for the clients `main` builds.
    pub(crate) fn client(&self) -> Result<Option<Arc<dyn Middleware>>, Error> {
        let Some(options) = self.circuitbreaker.as_ref().and_then(Switch::options) else {
            return Ok(None);
        };
        let mut breaker = match options.preset.as_deref() {
            None | Some("v2") => circuitbreaker::client(),
            Some("v3") => circuitbreaker::client().v3(),
            Some(other) => {
                return Err(config_error(format!(
                    "config key \"middleware.circuitbreaker.preset\" is {other:?}: write v2 or v3"
                )));
            }
        };
        if let Some(ratio) = options.success_ratio {
            if ratio.is_nan() || ratio <= 0.0 || ratio > 1.0 {
                return Err(config_error(format!(
                    "config key \"middleware.circuitbreaker.success_ratio\" is {ratio}: write a ratio above 0, at most 1"
                )));
            }
            breaker = breaker.success(ratio);
        }
        if let Some(request) = options.request {
            breaker = breaker.request(request);
        }
        if let Some(window) = options.window {
            breaker = breaker.window(window);
        }
        if let Some(buckets) = options.buckets {
            breaker = breaker.buckets(buckets);
        }
        Ok(Some(Arc::new(breaker)))
    }
}

/// The BBR limiter `options` describe.
fn rate_limit(options: &RateLimitSection) -> Result<ratelimit::RateLimit, Error> {
    let mut limit = ratelimit::server();
    if let Some(window) = options.window {
        limit = limit.window(window);
    }
    if let Some(buckets) = options.buckets {
        if buckets == 0 {
            return Err(config_error(
                "config key \"middleware.ratelimit.buckets\" is 0: write at least 1".to_owned(),
            ));
        }
        limit = limit.buckets(buckets);
    }
    if let Some(threshold) = options.cpu_threshold {
        if threshold > 1000 {
            return Err(config_error(format!(
                "config key \"middleware.ratelimit.cpu_threshold\" is {threshold}: write per mille, at most 1000"
            )));
        }
        limit = limit.cpu_threshold(threshold);
    }
    if let Some(cores) = options.cpu_quota {
        if cores.is_nan() || cores <= 0.0 {
            return Err(config_error(format!(
                "config key \"middleware.ratelimit.cpu_quota\" is {cores}: write the cores the process has, above 0"
            )));
        }
        limit = limit.cpu_quota(cores);
    }
    Ok(limit)
}

fn config_error(message: String) -> Error {
    Error::internal_server("CONFIG", message)
}

#[cfg(feature = "jwt")]
fn jwt_server(section: &JwtSection) -> Result<Arc<dyn Middleware>, Error> {
    use kratos_core::middleware::jwt::{self, Algorithm, DecodingKey};
    use kratos_core::middleware::selector::selector;

    let name = section.algorithm.as_deref().unwrap_or("HS256");
    let algorithm: Algorithm = name.parse().map_err(|_| {
        config_error(format!(
            "config key \"middleware.jwt.algorithm\" is {name:?}: write HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA"
        ))
    })?;
    let material = match (&section.key, &section.key_file) {
        (Some(key), None) => key.as_bytes().to_vec(),
        (None, Some(path)) => std::fs::read(path).map_err(|e| {
            config_error(format!(
                "config key \"middleware.jwt.key_file\": cannot read {}: {e}",
                path.display()
            ))
        })?,
        _ => {
            return Err(config_error(
                "config key \"middleware.jwt\" needs one of `key` (the secret, or a PEM public key) and `key_file`".to_owned(),
            ));
        }
    };
    use jwt::Algorithm::*;
    let key = match algorithm {
        HS256 | HS384 | HS512 => DecodingKey::from_secret(&material),
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => DecodingKey::from_rsa_pem(&material),
        ES256 | ES384 => DecodingKey::from_ec_pem(&material),
        EdDSA => DecodingKey::from_ed_pem(&material),
        // The name parsed, so jsonwebtoken knows it, but not how its keys come.
        _ => {
            return Err(config_error(format!(
                "config key \"middleware.jwt.algorithm\" is {name:?}: not supported here"
            )));
        }
    }
    .map_err(|e| {
        config_error(format!(
            "config key \"middleware.jwt.key\": not a {name} key ({e}); give a non-empty secret for HS*, a PEM public key for RS*, PS*, ES* and EdDSA"
        ))
    })?;
    let mut server = jwt::server(key).algorithm(algorithm);
    if section.require_exp {
        server = server.require_exp();
    }
    if let Some(issuer) = &section.issuer {
        server = server.issuer(issuer.clone());
    }
    if !section.audience.is_empty() {
        server = server.audience(section.audience.clone());
    }
    if let Some(leeway) = section.leeway {
        server = server.leeway(leeway);
    }
    if section.exempt.is_empty() {
        return Ok(Arc::new(server));
    }
    let exempt = section.exempt.clone();
    Ok(Arc::new(selector(server).matcher(move |operation| {
        !exempt.iter().any(|e| e == operation)
    })))
}

#[cfg(not(feature = "jwt"))]
fn jwt_server(_: &JwtSection) -> Result<Arc<dyn Middleware>, Error> {
    // Refused rather than warned about: serving unauthenticated what the config
    // says to protect would be the silent failure.
    Err(config_error(
        "config key \"middleware.jwt\" is set, but this binary was built without kratos's `jwt` feature".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(value: serde_json::Value) -> Result<MiddlewareSection, Error> {
        MiddlewareSection::of(&Config::from_value(
            serde_json::json!({ "middleware": value }),
        ))
    }

    fn message<T>(result: Result<T, Error>) -> String {
        match result {
            Ok(_) => panic!("accepted"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn switches_and_options() {
        let off =
            section(serde_json::json!({"ratelimit": false, "circuitbreaker": false})).unwrap();
        assert!(off.servers().unwrap().is_empty());
        assert!(off.client().unwrap().is_none());
        let on = section(serde_json::json!({"ratelimit": true, "circuitbreaker": true})).unwrap();
        assert_eq!(on.servers().unwrap().len(), 1);
        assert!(on.client().unwrap().is_some());
        let tuned = section(serde_json::json!({
            "ratelimit": {"window": "5s", "buckets": 50, "cpu_threshold": 900},
            "circuitbreaker": {"preset": "v3", "window": "2s"}
        }))
        .unwrap();
        assert_eq!(tuned.servers().unwrap().len(), 1);
        assert!(tuned.client().unwrap().is_some());
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (
                serde_json::json!({"ratelimit": {"cpu_threshold": 2000}}),
                "middleware.ratelimit.cpu_threshold",
            ),
            (
                serde_json::json!({"ratelimit": {"buckets": 0}}),
                "middleware.ratelimit.buckets",
            ),
            (
                serde_json::json!({"ratelimit": {"cpu_quota": 0}}),
                "middleware.ratelimit.cpu_quota",
            ),
        ];
        for (value, key) in cases {
            let message = message(section(value.clone()).unwrap().servers());
            assert!(message.contains(key), "{value}: {message}");
        }
        let message = message(
            section(serde_json::json!({"circuitbreaker": {"preset": "v4"}}))
                .unwrap()
                .client(),
        );
        assert!(
            message.contains("middleware.circuitbreaker.preset"),
            "{message}"
        );
        // A key that is not an option is refused rather than ignored.
        assert!(section(serde_json::json!({"ratelimit": {"cpu": 1}})).is_err());
    }
}
