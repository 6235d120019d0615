//! A real etcd server for tests (feature `test-support`): started from
//! `/usr/bin/etcd` (Debian's `etcd-server`, installed by `bash .ci/setup`; set
//! `ETCD_BIN` to use another) on free loopback ports with its data in a
//! temporary directory, and killed on drop. It can be stopped and started
//! again on the same ports, with its data (an etcd restart) or without it (a
//! fresh etcd where the old one was, so every lease is gone).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kratos_registry_etcd::testing::EtcdServer;
//! let mut etcd = EtcdServer::start().await?;
//! let config = kratos_registry_etcd::EtcdConfig::new([etcd.endpoint()]);
//! etcd.restart().await?;          // SIGTERM, then the same data dir and ports
//! etcd.wipe().await?;             // a fresh etcd on the same ports
//! # Ok(()) }
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long etcd may take to answer its health check after a start.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// How long a SIGTERM'd etcd may take to exit before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// One single-member etcd cluster on loopback, owned by a test.
#[derive(Debug)]
pub struct EtcdServer {
    binary: PathBuf,
    dir: TempDir,
    client_port: u16,
    peer_port: u16,
    child: Option<Child>,
}

impl EtcdServer {
    /// Starts a fresh etcd on free loopback ports and waits until it answers.
    pub async fn start() -> io::Result<Self> {
        let binary = find_binary()?;
        let mut attempts = 0;
        loop {
            let (client_port, peer_port) = free_ports()?;
            let mut server = Self {
                binary: binary.clone(),
                dir: tempfile::Builder::new().prefix("kratos-etcd-").tempdir()?,
                client_port,
                peer_port,
                child: None,
            };
            match server.resume().await {
                Ok(()) => return Ok(server),
                // Another process may take a port between our picking it and etcd binding it.
                Err(_) if attempts < 2 && !server.is_running() => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// The client URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.client_port
    }

    /// The data directory etcd runs on.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Whether the etcd process is alive.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Starts etcd again on the same ports and data dir (after [`stop`](Self::stop)),
    /// and waits until it answers; a no-op when it runs.
    pub async fn resume(&mut self) -> io::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let child = Command::new(&self.binary)
            .arg("--name=kratos-test")
            .arg(format!("--data-dir={}", self.data_dir().display()))
            .arg(format!("--listen-client-urls={}", self.endpoint()))
            .arg(format!("--advertise-client-urls={}", self.endpoint()))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=kratos-test={peer}"))
            .arg("--initial-cluster-state=new")
            // A single member elects itself after one election timeout: keep it short.
            .arg("--heartbeat-interval=50")
            .arg("--election-timeout=250")
            .arg("--logger=zap")
            .arg("--log-outputs=stderr")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot run {}: {e}", self.binary.display()),
                )
            })?;
        self.child = Some(child);
        self.wait_ready().await
    }

    /// Stops etcd as an operator would (SIGTERM) and waits for it to exit.
    pub async fn stop(&mut self) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_none() {
            signal(&child, libc::SIGTERM);
            // A paused etcd handles the SIGTERM only once it runs again.
            signal(&child, libc::SIGCONT);
            let deadline = Instant::now() + STOP_WITHIN;
            while child.try_wait()?.is_none() {
                if Instant::now() > deadline {
                    child.kill()?;
                    child.wait()?;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    /// Kills etcd (SIGKILL), as a crash would.
    pub fn kill(&mut self) -> io::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Freezes etcd (SIGSTOP): connections stay open but nothing answers, as in
    /// a network partition. [`unpause`](Self::unpause) lets it go on.
    pub fn pause(&mut self) {
        if let Some(child) = &self.child {
            signal(child, libc::SIGSTOP);
        }
    }

    /// Lets a paused etcd go on (SIGCONT).
    pub fn unpause(&mut self) {
        if let Some(child) = &self.child {
            signal(child, libc::SIGCONT);
        }
    }

    /// Stops etcd and starts it again with its data: leases survive.
    pub async fn restart(&mut self) -> io::Result<()> {
        self.stop().await?;
        self.resume().await
    }

    /// Stops etcd, deletes its data and starts a fresh one on the same ports:
    /// every key and lease is gone, as after losing the cluster.
    pub async fn wipe(&mut self) -> io::Result<()> {
        self.stop().await?;
        match std::fs::remove_dir_all(self.data_dir()) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.resume().await
    }

    /// What etcd printed so far, for a failing test's message.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.log_path()) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("etcd.log")
    }

    /// Polls `/health` until etcd has a leader, failing early if it exited.
    async fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.client_port));
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(self.failure(&format!("etcd exited with {status}")));
            }
            let healthy = tokio::task::spawn_blocking(move || is_healthy(address))
                .await
                .unwrap_or(false);
            if healthy {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.failure(&format!(
                    "etcd did not become healthy within {READY_WITHIN:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn failure(&self, what: &str) -> io::Error {
        let log = self.log();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        io::Error::other(format!("{what}; its last output:\n{}", tail.join("\n")))
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// `ETCD_BIN`, else `/usr/bin/etcd`, else `etcd` on the `PATH`.
fn find_binary() -> io::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ETCD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let debian = Path::new("/usr/bin/etcd");
    if debian.is_file() {
        return Ok(debian.to_path_buf());
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("etcd"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "no etcd binary: install Debian's etcd-server (`bash .ci/setup` does) or set ETCD_BIN",
            )
        })
}

/// Two distinct free loopback ports, both held while picking so they differ.
fn free_ports() -> io::Result<(u16, u16)> {
    let client = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let peer = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok((client.local_addr()?.port(), peer.local_addr()?.port()))
}

/// etcd's `/health` answers `{"health":"true"}` once the member has a leader.
fn is_healthy(address: SocketAddr) -> bool {
    let probe = || -> io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.contains("\"health\":\"true\""))
    };
    probe().unwrap_or(false)
}

#[allow(unsafe_code)]
fn signal(child: &Child, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: `pid` is our own child, not yet reaped, so it names that process.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}
