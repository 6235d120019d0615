//! The application lifecycle, as Go kratos runs it.
//!
//! Start: `before_start` hooks, then every server in order (each resolves once it
//! has bound), then the instance is registered with the registrar (if any) with
//! every server's advertised endpoint, then `after_start` hooks. Stop, on
//! SIGTERM/SIGQUIT/SIGINT or [`AppHandle::stop`]: `before_stop` hooks, then the
//! instance is deregistered (so clients stop picking it before it drains), then
//! every server at once, each draining its in-flight calls for up to the stop
//! timeout, then `after_stop` hooks.

mod running;
mod server;
mod signal;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kratos_config::Config;

pub use crate::BoxFuture;
pub use running::RunningApp;
pub use server::Server;

use crate::descriptor::ServiceDescriptor;
use crate::error::Error;
use crate::registry::{Discovery, Registrar, Registry, ServiceInstance};
use crate::service::{IntoService, Service};
use signal::StopSignals;

/// How long servers may drain in-flight calls on stop, unless set: 10 seconds.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long registering or deregistering may take, unless set: 10 seconds (Go kratos's default).
pub const DEFAULT_REGISTRAR_TIMEOUT: Duration = Duration::from_secs(10);

type Hook = Box<dyn FnOnce() -> BoxFuture<'static, Result<(), Error>> + Send>;

fn hook<F, Fut>(f: F) -> Hook
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    Box::new(move || Box::pin(f()))
}

#[derive(Default)]
struct Hooks {
    before_start: Vec<Hook>,
    after_start: Vec<Hook>,
    before_stop: Vec<Hook>,
    after_stop: Vec<Hook>,
}

async fn run_hooks(stage: &str, hooks: Vec<Hook>) -> Result<(), Error> {
    for hook in hooks {
        hook()
            .await
            .inspect_err(|e| tracing::error!(stage, error = %e, "hook failed"))?;
    }
    Ok(())
}

/// Who the application is: reported in logs and, later, to the registry.
#[derive(Debug, Clone, Default)]
pub struct AppInfo {
    /// Instance id; defaults to the host name plus the process id.
    pub id: String,
    /// Service name, e.g. `helloworld`.
    pub name: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Free-form instance metadata.
    pub metadata: BTreeMap<String, String>,
}

/// Builds an [`App`]: identity, servers, services, hooks and stop behaviour.
#[must_use = "an AppBuilder starts nothing until `.build()` and `.run()`"]
pub struct AppBuilder {
    info: AppInfo,
    config: Config,
    registrar: Option<Arc<dyn Registrar>>,
    registry: Option<Arc<dyn Registry>>,
    registrar_timeout: Duration,
    advertise_host: Option<String>,
    servers: Vec<Box<dyn Server>>,
    services: Vec<Box<dyn Service>>,
    hooks: Hooks,
    stop_timeout: Duration,
    signals: bool,
}

impl Default for AppBuilder {
    fn default() -> Self {
        Self {
            info: AppInfo {
                id: default_instance_id(),
                ..AppInfo::default()
            },
            config: Config::empty(),
            registrar: None,
            registry: None,
            registrar_timeout: DEFAULT_REGISTRAR_TIMEOUT,
            advertise_host: None,
            servers: Vec::new(),
            services: Vec::new(),
            hooks: Hooks::default(),
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            signals: true,
        }
    }
}

/// The instance id an app gets unless `AppBuilder::id` sets one: the host's name
/// and the process id, as Go kratos's default.
pub fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}-{}", std::process::id())
}

impl AppBuilder {
    /// Registers the instance with `registrar` once every server has bound, and
    /// deregisters it first thing on stop.
    pub fn registrar(mut self, registrar: Arc<dyn Registrar>) -> Self {
        self.registrar = Some(registrar);
        self
    }

    /// Uses `registry` to register this instance and hands it to clients that
    /// discover others ([`AppBuilder::discovery`]).
    pub fn registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registrar = Some(registry.clone());
        self.registry = Some(registry);
        self
    }

    /// The registry set with [`AppBuilder::registry`], as a discovery for clients
    /// (`Client::builder("discovery:///name").discovery(d)`).
    pub fn discovery(&self) -> Option<Arc<dyn Discovery>> {
        self.registry
            .clone()
            .map(|registry| registry as Arc<dyn Discovery>)
    }

    /// Bounds registering and deregistering (default 10s); a registration that
    /// does not finish in time fails the start.
    pub fn registrar_timeout(mut self, timeout: Duration) -> Self {
        self.registrar_timeout = timeout;
        self
    }

    /// The host registered for servers bound to an unspecified address (`0.0.0.0`);
    /// default: this machine's outbound address.
    pub fn advertise_host(mut self, host: impl Into<String>) -> Self {
        self.advertise_host = Some(host.into());
        self
    }

    /// Sets the instance id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.info.id = id.into();
        self
    }

    /// Sets the service name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.info.name = name.into();
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.info.version = version.into();
        self
    }

    /// Adds one metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.info.metadata.insert(key.into(), value.into());
        self
    }

    /// Sets the configuration services are built from. The app owns it until it
    /// stops, so its file watches keep reloading it ([`Config::watch`], [`Config::atomic`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The configuration loaded by `#[kratos::main]` (empty when built by hand).
    pub fn loaded_config(&self) -> &Config {
        &self.config
    }

    /// Adds a server; servers start in the order added and stop together.
    pub fn server(mut self, server: impl Server) -> Self {
        self.servers.push(Box::new(server));
        self
    }

    /// Rebuilds the first server of type `S` with `f`: how a `#[kratos::main]` program
    /// sets options on the servers made from its config, for example
    /// `app.map_server(|http: HttpServer| http.reply_encoder(..))`. Without a server
    /// of that type, `f` is not called.
    pub fn map_server<S: Server + Default>(mut self, f: impl FnOnce(S) -> S) -> Self {
        let found = self
            .servers
            .iter_mut()
            .find_map(|server| server.as_any_mut().downcast_mut::<S>());
        if let Some(server) = found {
            // The builder methods of a server take it by value.
            let taken = std::mem::take(server);
            *server = f(taken);
        }
        self
    }

    /// Adds a service, served on every server whose transport it speaks. A service
    /// with the same gRPC name added earlier (for instance registered through
    /// `inventory`) is replaced, so hand-built instances win.
    pub fn service<M>(mut self, service: impl IntoService<M>) -> Self {
        let service = service.into_service();
        let name = service.descriptor().full_name;
        self.services.retain(|s| s.descriptor().full_name != name);
        self.services.push(service);
        self
    }

    /// Runs before the servers start; an error aborts the start.
    pub fn before_start<F, Fut>(mut self, f: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.hooks.before_start.push(hook(f));
        self
    }

    /// Runs once every server has started; an error stops the app.
    pub fn after_start<F, Fut>(mut self, f: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.hooks.after_start.push(hook(f));
        self
    }

    /// Runs when the stop begins, before the servers drain.
    pub fn before_stop<F, Fut>(mut self, f: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.hooks.before_stop.push(hook(f));
        self
    }

    /// Runs after every server has stopped.
    pub fn after_stop<F, Fut>(mut self, f: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.hooks.after_stop.push(hook(f));
        self
    }

    /// How long each server may drain in-flight calls on stop (default 10s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Whether SIGTERM, SIGQUIT and SIGINT stop the app (default true).
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// Mounts every service on the servers that speak its transports and returns the app.
    ///
    /// A service no server can host is reported when the app starts.
    pub fn build(mut self) -> App {
        let mut problem = None;
        for service in &self.services {
            let mut mounted = false;
            for server in &mut self.servers {
                match service.mount(server.as_any_mut()) {
                    Ok(m) => mounted |= m,
                    Err(e) => {
                        problem.get_or_insert(e);
                    }
                }
            }
            if !mounted && problem.is_none() {
                problem = Some(Error::internal_server(
                    "NO_SERVER",
                    format!(
                        "service {} was added but no server can serve it: add an HTTP or gRPC server",
                        service.descriptor().full_name
                    ),
                ));
            }
        }
        // Every service of the app, however it was added: through the builder, or
        // straight on a server (`HttpServer::new().service(..)`, `map_server`).
        let mut services: Vec<&'static ServiceDescriptor> =
            self.services.iter().map(|s| s.descriptor()).collect();
        for descriptor in self.servers.iter().flat_map(|server| server.services()) {
            if !services.iter().any(|s| s.full_name == descriptor.full_name) {
                services.push(descriptor);
            }
        }
        let (stop_tx, _) = tokio::sync::watch::channel(false);
        App {
            info: self.info,
            config: self.config,
            registrar: self.registrar,
            registrar_timeout: self.registrar_timeout,
            advertise_host: self.advertise_host,
            services,
            servers: self.servers,
            hooks: self.hooks,
            stop_timeout: self.stop_timeout,
            signals: self.signals,
            handle: AppHandle {
                stop: Arc::new(stop_tx),
            },
            problem,
        }
    }
}

/// Stops a running [`App`] from code; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppHandle {
    stop: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppHandle {
    /// Asks the app to stop, as a signal would; returns at once.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// An application: servers, services and hooks, ready to run.
pub struct App {
    info: AppInfo,
    // Owned so the config's watches (which hold it weakly) keep reloading while the app runs.
    config: Config,
    registrar: Option<Arc<dyn Registrar>>,
    registrar_timeout: Duration,
    advertise_host: Option<String>,
    services: Vec<&'static ServiceDescriptor>,
    servers: Vec<Box<dyn Server>>,
    hooks: Hooks,
    stop_timeout: Duration,
    signals: bool,
    handle: AppHandle,
    problem: Option<Error>,
}

impl App {
    /// Starts building an application by hand.
    pub fn builder() -> AppBuilder {
        AppBuilder::default()
    }

    /// Who this application is.
    pub fn info(&self) -> &AppInfo {
        &self.info
    }

    /// A handle that stops the app from code.
    pub fn handle(&self) -> AppHandle {
        self.handle.clone()
    }

    /// The configuration the app was built with; it keeps reloading while the app runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every service the app serves, however it was added (`inventory` or
    /// [`AppBuilder::service`]), in the order added: what the start-up log lists
    /// and `-export-proto` writes.
    pub fn services(&self) -> &[&'static ServiceDescriptor] {
        &self.services
    }

    /// Starts, waits for a stop signal or [`AppHandle::stop`], then stops.
    pub async fn run(self) -> Result<(), Error> {
        self.start().await?.wait().await
    }

    /// Runs the start sequence and returns the running app.
    pub async fn start(mut self) -> Result<RunningApp, Error> {
        if let Some(problem) = self.problem.take() {
            return Err(problem);
        }
        let signals = if self.signals {
            Some(StopSignals::install()?)
        } else {
            None
        };
        run_hooks("before_start", std::mem::take(&mut self.hooks.before_start)).await?;
        let mut running = RunningApp {
            info: self.info,
            config: self.config,
            servers: Vec::with_capacity(self.servers.len()),
            hooks: self.hooks,
            stop_timeout: self.stop_timeout,
            signals,
            handle: self.handle,
            endpoints: Vec::new(),
            registration: None,
            registrar_timeout: self.registrar_timeout,
        };
        let mut advertised = Vec::new();
        for mut server in self.servers {
            if let Err(e) = server.start().await {
                tracing::error!(kind = server.kind(), error = %e, "server failed to start");
                running.stop().await.ok();
                return Err(e);
            }
            if let Some(endpoint) = server.endpoint() {
                running.endpoints.push(endpoint);
            }
            advertised.extend(server.advertised_endpoint(self.advertise_host.as_deref()));
            running.servers.push(server);
        }
        if let Some(registrar) = self.registrar {
            let instance = ServiceInstance {
                id: running.info.id.clone(),
                name: running.info.name.clone(),
                version: running.info.version.clone(),
                metadata: running.info.metadata.clone(),
                endpoints: advertised,
            };
            let registered =
                tokio::time::timeout(running.registrar_timeout, registrar.register(&instance))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::service_unavailable(
                            "REGISTRAR",
                            format!(
                                "registering {} took longer than the registrar timeout ({:?})",
                                instance.id, running.registrar_timeout
                            ),
                        ))
                    });
            if let Err(e) = registered {
                tracing::error!(error = %e, "registration failed; stopping");
                running.stop().await.ok();
                return Err(Error::service_unavailable(
                    "REGISTRAR",
                    format!("cannot register {}: {}", instance.name, e.message),
                ));
            }
            tracing::info!(id = %instance.id, endpoints = ?instance.endpoints, "registered");
            running.registration = Some((registrar, instance));
        }
        let after_start = std::mem::take(&mut running.hooks.after_start);
        if let Err(e) = run_hooks("after_start", after_start).await {
            running.stop().await.ok();
            return Err(e);
        }
        tracing::info!(
            id = %running.info.id,
            name = %running.info.name,
            version = %running.info.version,
            endpoints = ?running.endpoints,
            services = ?self.services.iter().map(|s| s.full_name).collect::<Vec<_>>(),
            "app started"
        );
        Ok(running)
    }
}
