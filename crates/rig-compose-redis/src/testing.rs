//! Test support, behind the `testing` feature: a disposable `redis-server`
//! on a free port of 127.0.0.1, with a private temporary directory, stopped
//! and cleaned up when dropped. Used by this crate's integration tests and
//! by the `rig-compose` CLI's tests, so both exercise a real server.
//!
//! ```no_run
//! use rig_compose_redis::testing::TestServer;
//!
//! let server = TestServer::start().expect("redis-server is installed");
//! println!("talk to {}", server.url());
//! ```

use std::fmt;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a freshly spawned server gets to answer `PING`.
pub const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// Launch attempts before giving up; a probed port can be taken by another
/// process before the server binds it.
const LAUNCH_ATTEMPTS: usize = 5;

/// Durability mode of a [`TestServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    /// In memory only: a restart starts empty.
    #[default]
    None,
    /// Append-only file, fsynced once a second.
    AofEverySec,
    /// Append-only file, fsynced on every write.
    AofAlways,
}

/// Why a [`TestServer`] could not be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestServerError(String);

impl fmt::Display for TestServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestServerError {}

/// A private `redis-server` process, killed (and its directory removed)
/// on drop.
#[derive(Debug)]
pub struct TestServer {
    port: u16,
    dir: PathBuf,
    persistence: Persistence,
    extra_args: Vec<String>,
    process: Option<Child>,
}

fn pick_port() -> Result<u16, TestServerError> {
    let probe = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| TestServerError(format!("no free port on 127.0.0.1: {err}")))?;
    probe
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|err| TestServerError(format!("no local address: {err}")))
}

fn scratch_dir() -> Result<PathBuf, TestServerError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rig-compose-redis-server-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    // A directory left by an earlier process with a recycled pid is stale.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|err| TestServerError(format!("cannot create {}: {err}", dir.display())))?;
    Ok(dir)
}

impl TestServer {
    /// Start a server that keeps nothing on disk.
    ///
    /// # Errors
    ///
    /// When `redis-server` is missing or never answers.
    pub fn start() -> Result<Self, TestServerError> {
        Self::start_with(Persistence::None, &[])
    }

    /// Start a server with the given persistence and extra `redis-server`
    /// command-line arguments.
    ///
    /// # Errors
    ///
    /// When `redis-server` is missing or never answers.
    pub fn start_with(
        persistence: Persistence,
        extra_args: &[&str],
    ) -> Result<Self, TestServerError> {
        let mut server = Self {
            port: pick_port()?,
            dir: scratch_dir()?,
            persistence,
            extra_args: extra_args.iter().map(|arg| (*arg).to_owned()).collect(),
            process: None,
        };
        let mut last = TestServerError("redis-server was never launched".into());
        for _ in 0..LAUNCH_ATTEMPTS {
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(err) => {
                    last = err;
                    server.port = pick_port()?;
                }
            }
        }
        Err(last)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `redis://` URL for the server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's working directory (AOF files, log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn launch(&mut self) -> Result<(), TestServerError> {
        let mut command = Command::new("redis-server");
        command
            .args([
                "--bind",
                "127.0.0.1",
                "--protected-mode",
                "no",
                "--save",
                "",
            ])
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.log_path());
        let fsync = match self.persistence {
            Persistence::None => None,
            Persistence::AofEverySec => Some("everysec"),
            Persistence::AofAlways => Some("always"),
        };
        match fsync {
            None => command.args(["--appendonly", "no"]),
            Some(mode) => command.args(["--appendonly", "yes", "--appendfsync", mode]),
        };
        command
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command.spawn().map_err(|err| {
            TestServerError(format!(
                "cannot run redis-server ({err}); scripts/setup.sh installs it"
            ))
        })?;
        self.process = Some(child);
        self.await_ready()
    }

    fn await_ready(&mut self) -> Result<(), TestServerError> {
        let deadline = Instant::now() + STARTUP_LIMIT;
        while Instant::now() < deadline {
            let exited = match self.process.as_mut() {
                Some(child) => child.try_wait().ok().flatten(),
                None => None,
            };
            if let Some(status) = exited {
                self.process = None;
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                return Err(TestServerError(format!(
                    "redis-server on port {} stopped at once ({status}): {log}",
                    self.port
                )));
            }
            if self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        self.kill();
        Err(TestServerError(format!(
            "redis-server on port {} did not answer PING within {STARTUP_LIMIT:?}",
            self.port
        )))
    }

    /// Whether the server answers `PING` now (a raw RESP exchange, so it
    /// works without a runtime).
    pub fn ping(&self) -> bool {
        let Ok(mut socket) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_millis(500)));
        let mut answer = [0_u8; 7];
        socket.write_all(b"PING\r\n").is_ok()
            && socket.read_exact(&mut answer).is_ok()
            && answer == *b"+PONG\r\n"
    }

    /// Stop the server with SIGKILL: no shutdown, no last fsync.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop the server with SIGTERM and wait: a clean shutdown.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Start the stopped server again, on the same port and directory.
    ///
    /// # Errors
    ///
    /// When it is still running, or does not come back.
    pub fn restart(&mut self) -> Result<(), TestServerError> {
        if self.process.is_some() {
            return Err(TestServerError("the server is still running".into()));
        }
        self.launch()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tree name no other test of this process uses.
pub fn unique_tree(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
