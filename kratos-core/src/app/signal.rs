//! The process signals that stop an application: SIGTERM, SIGQUIT and SIGINT, as
//! in Go kratos. Listeners are installed when the app starts, so a signal that
//! arrives while it serves is never lost to the default action.

use crate::error::Error;

/// Listens for the stop signals from the moment it is created.
pub(crate) struct StopSignals {
    #[cfg(unix)]
    streams: [tokio::signal::unix::Signal; 3],
}

impl StopSignals {
    /// Installs the listeners.
    pub(crate) fn install() -> Result<Self, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                streams: [
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::quit())?,
                    signal(SignalKind::interrupt())?,
                ],
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Resolves when any of the signals arrives.
    pub(crate) async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let [term, quit, int] = &mut self.streams;
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = quit.recv() => "SIGQUIT",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "stop signal received");
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
