//! A started application: its servers, its registration and the stop sequence
//! (`before_stop` hooks, deregistration, servers drained together within the stop
//! timeout, `after_stop` hooks).

use std::sync::Arc;
use std::time::Duration;

use kratos_config::Config;

use super::signal::StopSignals;
use super::{AppHandle, AppInfo, Hooks, Server, run_hooks};
use crate::error::Error;
use crate::registry::{Registrar, ServiceInstance};

/// How long past the stop timeout a server's stop may run before it is abandoned:
/// the servers of this crate drop what is left at the timeout itself.
const STOP_OVERRUN: Duration = Duration::from_millis(500);

/// A started application.
pub struct RunningApp {
    pub(super) info: AppInfo,
    // Dropped with the app, after the stop: until then a config reload reaches the services.
    pub(super) config: Config,
    pub(super) servers: Vec<Box<dyn Server>>,
    pub(super) hooks: Hooks,
    pub(super) stop_timeout: Duration,
    pub(super) signals: Option<StopSignals>,
    pub(super) handle: AppHandle,
    pub(super) endpoints: Vec<String>,
    pub(super) registration: Option<(Arc<dyn Registrar>, ServiceInstance)>,
    pub(super) registrar_timeout: Duration,
}

impl RunningApp {
    /// The instance registered with the registrar, if there is one.
    pub fn instance(&self) -> Option<&ServiceInstance> {
        self.registration.as_ref().map(|(_, instance)| instance)
    }

    /// Who this application is.
    pub fn info(&self) -> &AppInfo {
        &self.info
    }

    /// The configuration the app runs with, reloaded as its files change.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every server's endpoint URL, in server order (`http://127.0.0.1:8000`, `grpc://127.0.0.1:9000`).
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The first endpoint with this URL scheme (`"http"`, `"grpc"`).
    pub fn endpoint(&self, scheme: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .map(String::as_str)
            .find(|e| e.split_once("://").is_some_and(|(s, _)| s == scheme))
    }

    /// A handle that stops the app from code.
    pub fn handle(&self) -> AppHandle {
        self.handle.clone()
    }

    /// Waits for a stop signal or [`AppHandle::stop`], then stops.
    pub async fn wait(mut self) -> Result<(), Error> {
        let handle = self.handle.clone();
        match self.signals.as_mut() {
            Some(signals) => tokio::select! {
                _ = signals.recv() => {}
                _ = handle.stopped() => {}
            },
            None => handle.stopped().await,
        }
        self.stop().await
    }

    /// Runs the stop sequence now. Every step runs even if an earlier one failed;
    /// the first error is returned.
    pub async fn stop(&mut self) -> Result<(), Error> {
        let mut first_error = run_hooks("before_stop", std::mem::take(&mut self.hooks.before_stop))
            .await
            .err();
        if let Some((registrar, instance)) = self.registration.take() {
            let deregistered =
                tokio::time::timeout(self.registrar_timeout, registrar.deregister(&instance)).await;
            match deregistered {
                Ok(Ok(())) => tracing::info!(id = %instance.id, "deregistered"),
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "deregistration failed");
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    let e = Error::service_unavailable(
                        "REGISTRAR",
                        format!("deregistering {} timed out", instance.id),
                    );
                    tracing::error!(error = %e, "deregistration failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        // Servers drain together, as Go kratos's errgroup does, so one server's slow
        // calls do not eat another's stop timeout.
        let mut stopping = tokio::task::JoinSet::new();
        for mut server in self.servers.drain(..).rev() {
            let timeout = self.stop_timeout;
            stopping.spawn(async move {
                let result = server.stop(timeout).await;
                (server.kind(), result)
            });
        }
        // A server that outlives its stop timeout (one of the user's own, say) is
        // abandoned shortly after it, so the stop never hangs on it.
        let deadline = tokio::time::Instant::now() + self.stop_timeout + STOP_OVERRUN;
        loop {
            let joined = match tokio::time::timeout_at(deadline, stopping.join_next()).await {
                Ok(Some(joined)) => joined,
                Ok(None) => break,
                Err(_) => {
                    let e = Error::service_unavailable(
                        "STOP_TIMEOUT",
                        format!(
                            "{} server(s) still stopping {:?} after the stop timeout ({:?}); abandoned",
                            stopping.len(),
                            STOP_OVERRUN,
                            self.stop_timeout
                        ),
                    );
                    tracing::error!(error = %e, "stop timeout");
                    stopping.abort_all();
                    first_error.get_or_insert(e);
                    break;
                }
            };
            let error = match joined {
                Ok((_, Ok(()))) => continue,
                Ok((kind, Err(e))) => {
                    tracing::error!(kind, error = %e, "server failed to stop cleanly");
                    e
                }
                Err(join) => Error::internal_server("", format!("server stop task failed: {join}")),
            };
            first_error.get_or_insert(error);
        }
        if let Err(e) = run_hooks("after_stop", std::mem::take(&mut self.hooks.after_stop)).await {
            first_error.get_or_insert(e);
        }
        tracing::info!(name = %self.info.name, "app stopped");
        first_error.map_or(Ok(()), Err)
    }
}
