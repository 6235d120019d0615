//! What `#[kratos::main]` runs: parse `-conf`, set up `tracing`, load the config
//! (files, then `KRATOS_*` environment variables over them, watched for reloads),
//! build the HTTP and gRPC servers from `server.http` and `server.grpc`, add every
//! service registered through `inventory`, hand the builder to the user's `main`,
//! then run the app until a stop signal. `-export-proto` (the `proto-export`
//! feature) runs the same steps up to the built app (so services added by hand in
//! `main` are exported too) and writes its services' `.proto` files instead of
//! starting it.
//!
//! The one module of the facade with logic of its own: the start-up sequence is
//! the only code that joins config, core and both transports, so it lives in the
//! crate that depends on all of them (Go kratos keeps `App` in its root package too),
//! and the transports know nothing of config files, registries or processes.

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use kratos_config::{Config, ConfigError, DEFAULT_ENV_PREFIX};
use kratos_core::middleware::metadata;
use kratos_core::registry::{Embedded, Registry};
use kratos_core::{App, AppBuilder, Error, Middleware};
use serde::Deserialize;

use self::log::LogSection;

mod log;
mod middleware;
#[cfg(feature = "opentelemetry")]
mod otlp;
#[cfg(feature = "opentelemetry")]
mod trace;

/// The tracer provider while the app runs (nothing without the `opentelemetry` feature).
#[cfg(feature = "opentelemetry")]
type Traces = trace::Traces;
#[cfg(not(feature = "opentelemetry"))]
type Traces = ();

use kratos_transport::grpc::{GrpcConfig, GrpcServer};
use kratos_transport::http::{HttpConfig, HttpServer};

/// Where the config is read from when `-conf` is not given.
pub const DEFAULT_CONF: &str = "./configs";

/// The `registry` section of the config: which registry (`kind`, default the
/// embedded one), how long registering may take, the host to advertise. A
/// backend reads its own keys (`endpoints`, ...) from the same section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RegistrySection {
    /// `etcd`, or absent / `embedded` for the in-process registry.
    pub kind: Option<String>,
    /// Bounds register and deregister; default 10s.
    #[serde(deserialize_with = "optional_duration")]
    pub timeout: Option<std::time::Duration>,
    /// The host registered for servers bound to `0.0.0.0`; default the outbound address.
    pub advertise_host: Option<String>,
}

fn optional_duration<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    kratos_config::duration::deserialize(de).map(Some)
}

/// The registry the config names: a linked backend's factory for `registry.kind`,
/// or the embedded registry.
pub async fn registry_from_config(
    config: &Config,
) -> Result<(Arc<dyn Registry>, RegistrySection), Error> {
    let section: RegistrySection = config.get("registry")?.unwrap_or_default();
    let registry: Arc<dyn Registry> = match section.kind.as_deref() {
        None | Some("embedded") | Some("") => Arc::new(Embedded::new()),
        Some(kind) => {
            let factory = kratos_core::registry::factory(kind).ok_or_else(|| {
                Error::internal_server(
                    "CONFIG",
                    format!(
                        "config key \"registry.kind\" is {kind:?}, but no such registry is linked: add its crate (kratos-registry-{kind}) and `use kratos_registry_{kind} as _;`"
                    ),
                )
            })?;
            (factory.build)(config).await?
        }
    };
    Ok((registry, section))
}

/// The `server` section of the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ServerSection {
    /// `server.http`.
    pub http: HttpConfig,
    /// `server.grpc`.
    pub grpc: GrpcConfig,
}

/// The command line `#[kratos::main]` accepts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Args {
    /// `-conf <file or dir>`; `None` means [`DEFAULT_CONF`], which may be absent.
    pub conf: Option<PathBuf>,
    /// `-export-proto <dir>`: build the app, write the `.proto` files of its services and exit.
    pub export_proto: Option<PathBuf>,
}

const USAGE: &str = "usage: [-conf <file or directory>] [-export-proto <directory>]\n\n  -conf          config file (.yaml, .yml, .json) or directory of them (default ./configs)\n  -export-proto  build the app (run main, start nothing), write the .proto files of its services to the directory, then exit";

impl Args {
    /// Parses `-conf X`, `--conf X`, `-conf=X`, `--conf=X` (and the same forms of
    /// `-export-proto`); `-h`/`--help` asks for usage.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Self>, String> {
        let mut parsed = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if matches!(arg.as_str(), "-h" | "--help" | "-help") {
                return Ok(None);
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_owned())),
                None => (arg.as_str(), None),
            };
            let slot = match flag.trim_start_matches('-') {
                "conf" if flag.starts_with('-') => &mut parsed.conf,
                "export-proto" if flag.starts_with('-') => &mut parsed.export_proto,
                _ => return Err(format!("unknown argument {arg:?}")),
            };
            let value = match inline {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value: {flag} <path>"))?,
            };
            *slot = Some(PathBuf::from(value));
        }
        Ok(Some(parsed))
    }
}

/// Writes the `.proto` files of every service of `app` (registered with
/// `#[kratos::service]` or added by hand) to `dir`; what `-export-proto` and
/// `kratos proto export` run. An app without services is an error: an empty export
/// would look like success to a build script.
#[cfg(feature = "proto-export")]
pub fn export_proto(app: &App, dir: &std::path::Path) -> Result<Vec<PathBuf>, Error> {
    let services = app.services();
    if services.is_empty() {
        return Err(Error::internal_server(
            "EXPORT",
            "nothing to export: the app has no services; add one in main with `app.service(GreeterServer::new(..))`, or annotate its impl with `#[kratos::service]`",
        ));
    }
    kratos_core::descriptor::proto_text::export(services, dir).map_err(|e| {
        Error::internal_server(
            "EXPORT",
            format!("cannot write .proto files to {}: {e}", dir.display()),
        )
        .with_cause(e)
    })
}

/// Sets up traces from the config's `tracing` section and the log from its `log`
/// section (the export writes it to stderr: its stdout is the list of files), then
/// says where the config came from.
fn start_log(
    config: &Config,
    args: &Args,
    name: &str,
    version: &str,
    to_stderr: bool,
) -> Result<Option<Traces>, Error> {
    let section: LogSection = config.get("log")?.unwrap_or_default();
    let service = log::Service {
        name: name.to_owned(),
        version: version.to_owned(),
        id: kratos_core::app::default_instance_id(),
    };
    #[cfg(feature = "opentelemetry")]
    let (traces, tracer) = match config.get::<trace::TracingSection>("tracing")? {
        Some(tracing) => {
            let traces =
                trace::init(&tracing, &service).map_err(|e| Error::internal_server("CONFIG", e))?;
            let tracer = traces.tracer();
            (Some(traces), Some(tracer))
        }
        None => (None, None),
    };
    #[cfg(not(feature = "opentelemetry"))]
    let (traces, tracer) = (None, None);
    log::init(&section, service, to_stderr, tracer)
        .map_err(|e| Error::internal_server("CONFIG", e))?;
    #[cfg(not(feature = "opentelemetry"))]
    if tracing_configured(config) {
        tracing::warn!(
            "config section \"tracing\" is set, but this binary was built without kratos's `opentelemetry` feature: no spans, no trace ids"
        );
    }
    if args.conf.is_none() && !std::path::Path::new(DEFAULT_CONF).exists() {
        tracing::info!(
            "no -conf given and {DEFAULT_CONF} is absent: using defaults and the environment"
        );
    }
    Ok(traces)
}

/// True when the config has a `tracing` section: traces are wanted.
fn tracing_configured(config: &Config) -> bool {
    matches!(config.get::<serde_json::Value>("tracing"), Ok(Some(_)))
}

/// `-conf` (a file or a directory; default `./configs` when present), then the
/// `KRATOS_`-prefixed environment over it; files are watched for hot reload, except
/// for an export, which never runs long enough to see one.
fn load_config(args: &Args) -> Result<Config, ConfigError> {
    let builder = match &args.conf {
        Some(path) => Config::builder().file(path),
        None if std::path::Path::new(DEFAULT_CONF).exists() => Config::builder().file(DEFAULT_CONF),
        None => Config::builder(),
    };
    builder
        .env(DEFAULT_ENV_PREFIX)
        .watch(args.export_proto.is_none())
        .build()
}

/// The builder `#[kratos::main]` hands to the user's `main`: servers from config and
/// every `inventory`-registered service already added. The config goes into the
/// builder, and from there into the app, which keeps it (and its reloads) alive.
pub fn app_builder(name: &str, version: &str, config: Config) -> Result<AppBuilder, Error> {
    let log: LogSection = config.get("log")?.unwrap_or_default();
    for header in &log.redact_headers {
        kratos_core::redact::add_sensitive_header(header);
    }
    let servers: ServerSection = config.get("server")?.unwrap_or_default();
    // A scrape route means the request metrics are wanted: outermost, on both
    // servers, so they time and count everything the other middlewares do.
    #[cfg(feature = "metrics")]
    let metrics = servers.http.metrics.is_some();
    let mut http = HttpServer::from_config(servers.http);
    #[cfg(feature = "openapi")]
    {
        http = http.openapi_info(name, version);
    }
    let mut grpc = GrpcServer::from_config(servers.grpc);
    let mut clients = kratos_core::Chain::default();
    // Traces outermost: the span covers every other middleware's work.
    #[cfg(feature = "opentelemetry")]
    if tracing_configured(&config) {
        let (server, client) = trace::middlewares(name);
        let middleware: Arc<dyn Middleware> = Arc::new(server);
        http = http.middleware_arc(middleware.clone());
        grpc = grpc.middleware_arc(middleware);
        clients = clients.with(client);
    }
    #[cfg(feature = "metrics")]
    if metrics {
        clients = clients.with(kratos_core::middleware::metrics::client());
        let middleware: Arc<dyn Middleware> = Arc::new(kratos_core::middleware::metrics::server());
        http = http.middleware_arc(middleware.clone());
        grpc = grpc.middleware_arc(middleware);
    }
    // What `middleware.*` turns on (auth, rate limiting) runs inside the observers,
    // so a refused call is still counted and traced.
    let section = self::middleware::MiddlewareSection::of(&config)?;
    for middleware in section.servers()?.into_iter().chain(default_middlewares()) {
        http = http.middleware_arc(middleware.clone());
        grpc = grpc.middleware_arc(middleware);
    }
    // The clients `main` builds report and propagate as the servers do, and get
    // the breaker the config asks for (inside the observers: a refusal is counted).
    if let Some(breaker) = section.client()? {
        clients = clients.with_arc(breaker);
    }
    kratos_transport::set_default_client_middleware(clients);
    let mut builder = App::builder()
        .name(name)
        .version(version)
        .server(http)
        .server(grpc);
    for registration in kratos_core::service::registered() {
        let service = (registration.build)(&config).map_err(|e| {
            Error::internal_server(
                "SERVICE_BUILD",
                format!(
                    "cannot build {} for {}: {}",
                    registration.implementation, registration.descriptor.full_name, e.message
                ),
            )
        })?;
        builder = builder.service(service);
    }
    Ok(builder.config(config))
}

/// The middlewares `#[kratos::main]` puts on both servers, outermost first:
/// `metadata::server`, then every `#[kratos::middleware(global)]`
/// by its `order` (ties by name).
pub fn default_middlewares() -> Vec<Arc<dyn Middleware>> {
    // No `recovery()` here: every call's guard already answers a panic with Go
    // kratos's 500 and logs it once, where it was raised; add `recovery()` to change the answer.
    let mut all: Vec<Arc<dyn Middleware>> = vec![Arc::new(metadata::server())];
    for registration in kratos_core::middleware::registered() {
        tracing::debug!(
            name = registration.name,
            order = registration.order,
            "global middleware"
        );
        all.push((registration.build)());
    }
    all
}

/// Builds the app from `config` through the user's `main` and runs it until it stops.
async fn serve<F, Fut>(
    config: Config,
    name: &'static str,
    version: &'static str,
    main: F,
) -> Result<(), Error>
where
    F: FnOnce(AppBuilder) -> Fut,
    Fut: Future<Output = Result<App, Error>>,
{
    let (registry, section) = registry_from_config(&config).await?;
    let app: AppSection = config.get("app")?.unwrap_or_default();
    let mut builder = app_builder(name, version, config)?.registry(registry);
    if let Some(timeout) = app.stop_timeout {
        builder = builder.stop_timeout(timeout);
    }
    if let Some(timeout) = section.timeout {
        builder = builder.registrar_timeout(timeout);
    }
    if let Some(host) = section.advertise_host {
        builder = builder.advertise_host(host);
    }
    main(builder).await?.run().await
}

/// The `app` section of the config, as `run` reads it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct AppSection {
    /// `app.stop_timeout`: how long servers drain on stop; default 10s.
    #[serde(deserialize_with = "optional_duration")]
    stop_timeout: Option<std::time::Duration>,
}

/// How long the runtime waits, once the app has stopped, for tasks it could not
/// cancel (blocking work) before the process exits anyway.
const RUNTIME_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs a `#[kratos::main]` program and returns its exit code: 0 after a clean
/// stop, 1 on a start-up or stop error, 2 on a bad command line.
pub fn run<F, Fut>(name: &'static str, version: &'static str, main: F) -> ExitCode
where
    F: FnOnce(AppBuilder) -> Fut,
    Fut: Future<Output = Result<App, Error>>,
{
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{name} {version}\n{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{name}: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The flag parses either way, so a build without the exporter can say why it refuses.
    #[cfg(not(feature = "proto-export"))]
    if args.export_proto.is_some() {
        eprintln!(
            "{name}: -export-proto needs kratos's `proto-export` feature (on by default), which this binary was built without"
        );
        return ExitCode::from(2);
    }
    // Panics inside calls are answered by each call's guard, which logs them with
    // their location (and backtrace when asked): take over their report first.
    kratos_core::middleware::recovery::install_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    #[cfg(feature = "proto-export")]
    if let Some(dir) = args.export_proto.clone() {
        let exported = runtime.block_on(async move {
            // The embedded registry: building the app for its descriptors contacts no backend.
            let config = load_config(&args)?;
            // Nothing is served: the export sends no spans.
            let _traces = start_log(&config, &args, name, version, true)?;
            let builder = app_builder(name, version, config)?.registry(Arc::new(Embedded::new()));
            export_proto(&main(builder).await?, &dir)
        });
        // Whatever main spawned is not waited for: the export is done.
        runtime.shutdown_background();
        return match exported {
            Ok(files) => {
                for file in files {
                    println!("{}", file.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{name}: {}", e.message);
                ExitCode::FAILURE
            }
        };
    }
    let result = runtime.block_on(async move {
        let config = load_config(&args)?;
        let traces = start_log(&config, &args, name, version, false)?;
        let result = serve(config, name, version, main).await;
        // The last spans leave once the servers stopped (the exporter blocks).
        #[cfg(feature = "opentelemetry")]
        if let Some(traces) = traces {
            let _ = tokio::task::spawn_blocking(move || traces.shutdown()).await;
        }
        #[cfg(not(feature = "opentelemetry"))]
        let _ = traces;
        result
    });
    // What the stop left running (a handler past the stop timeout, a blocking
    // decode) must not hold the exit: dropping the runtime would wait for it.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{name} failed");
            eprintln!("{name}: {}", e.message);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn conf_flag_forms() {
        for form in [
            &["-conf", "x.yaml"][..],
            &["--conf", "x.yaml"],
            &["-conf=x.yaml"],
            &["--conf=x.yaml"],
        ] {
            assert_eq!(
                parse(form).unwrap().unwrap().conf,
                Some(PathBuf::from("x.yaml")),
                "{form:?}"
            );
        }
        assert_eq!(parse(&[]).unwrap().unwrap().conf, None);
        assert!(parse(&["-h"]).unwrap().is_none());
        assert!(parse(&["-conf"]).unwrap_err().contains("needs a value"));
        let export = parse(&["-export-proto", "out", "-conf=c"])
            .unwrap()
            .unwrap();
        assert_eq!(export.export_proto, Some(PathBuf::from("out")));
        assert_eq!(export.conf, Some(PathBuf::from("c")));
        assert!(
            parse(&["--port", "1"])
                .unwrap_err()
                .contains("unknown argument")
        );
    }

    #[test]
    fn log_redact_headers_hides_more_headers() {
        let name = http::HeaderName::from_static("x-tenant-secret");
        assert!(!kratos_core::redact::is_sensitive(&name));
        let config = Config::from_value(serde_json::json!({
            "log": {"redact_headers": ["X-Tenant-Secret"]}
        }));
        let _builder = app_builder("t", "v1", config).unwrap();
        assert!(kratos_core::redact::is_sensitive(&name));
    }

    #[test]
    fn server_section_defaults_and_overrides() {
        let config = Config::from_value(serde_json::json!({
            "server": {"http": {"addr": "127.0.0.1:0", "timeout": "250ms"}}
        }));
        let servers: ServerSection = config.get("server").unwrap().unwrap();
        assert_eq!(servers.http.addr, "127.0.0.1:0");
        assert_eq!(servers.http.timeout, std::time::Duration::from_millis(250));
        assert_eq!(servers.grpc.addr, "0.0.0.0:9000");
        assert_eq!(servers.grpc.timeout, std::time::Duration::from_secs(1));
        let bad = Config::from_value(serde_json::json!({"server": {"http": {"timeout": "soon"}}}));
        assert!(bad.get::<ServerSection>("server").is_err());
    }
}
