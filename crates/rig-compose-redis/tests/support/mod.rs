//! A throwaway `redis-server` for tests and benches: its own free port on
//! 127.0.0.1, its own temporary directory, killed on drop.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Persistence of a test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// Nothing survives a restart.
    None,
    /// Append-only file, fsynced once per second.
    AofEverySec,
    /// Append-only file, fsynced after every write.
    AofAlways,
}

pub(crate) struct RedisServer {
    port: u16,
    dir: PathBuf,
    persistence: Persistence,
    extra_args: Vec<String>,
    child: Option<Child>,
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().unwrap().port()
}

fn fresh_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rig-compose-redis-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the server's directory");
    dir
}

impl RedisServer {
    /// Start a server without persistence.
    pub(crate) fn start() -> Self {
        Self::start_with(Persistence::None)
    }

    /// Start a server with the given persistence.
    pub(crate) fn start_with(persistence: Persistence) -> Self {
        Self::start_with_args(persistence, &[])
    }

    /// Start a server with extra `redis-server` arguments.
    pub(crate) fn start_with_args(persistence: Persistence, extra_args: &[&str]) -> Self {
        let mut server = Self {
            port: free_port(),
            dir: fresh_dir(),
            persistence,
            extra_args: extra_args.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
        };
        // Another test may grab the port between our probe and the bind.
        for _ in 0..4 {
            match server.try_launch() {
                Ok(()) => return server,
                Err(why) => {
                    eprintln!(
                        "redis-server on port {} failed ({why}); retrying",
                        server.port
                    );
                    server.port = free_port();
                }
            }
        }
        server.launch();
        server
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn launch(&mut self) {
        if let Err(why) = self.try_launch() {
            panic!("{why}");
        }
    }

    fn try_launch(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(&self.dir)
            .arg("--save")
            .arg("")
            .arg("--protected-mode")
            .arg("no")
            .arg("--logfile")
            .arg(self.dir.join("redis.log"));
        match self.persistence {
            Persistence::None => {
                command.arg("--appendonly").arg("no");
            }
            Persistence::AofEverySec => {
                command
                    .arg("--appendonly")
                    .arg("yes")
                    .arg("--appendfsync")
                    .arg("everysec");
            }
            Persistence::AofAlways => {
                command
                    .arg("--appendonly")
                    .arg("yes")
                    .arg("--appendfsync")
                    .arg("always");
            }
        }
        command.args(&self.extra_args);
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start redis-server ({err}); run scripts/setup.sh to install it")
            });
        self.child = Some(child);
        self.wait_until_ready()
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                return Err(format!("redis-server exited early ({status}):\n{log}"));
            }
            if self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err(format!(
            "redis-server on port {} never answered PING",
            self.port
        ))
    }

    /// Whether the server answers PING right now.
    pub(crate) fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0_u8; 7];
        matches!(stream.read_exact(&mut reply), Ok(())) && &reply == b"+PONG\r\n"
    }

    /// SIGKILL the server: no shutdown, no final fsync.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM the server and wait: a clean shutdown that flushes the AOF.
    pub(crate) fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    /// Start the server again on the same port and directory.
    pub(crate) fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server before restarting it");
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tree name unique to this process and call, so tests never share state.
pub(crate) fn unique_tree(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
