//! The tests' view of [`rig_compose_redis::testing`]: the same disposable
//! server, with start-up failures turned into test failures.
#![allow(dead_code, unused_imports, clippy::expect_used)]

use rig_compose_redis::testing::TestServer;
pub(crate) use rig_compose_redis::testing::{Persistence, unique_tree};

/// A private redis-server; stopped and removed on drop.
pub(crate) struct RedisServer(TestServer);

impl RedisServer {
    /// A server that keeps nothing on disk.
    pub(crate) fn start() -> Self {
        Self::start_with(Persistence::None)
    }

    /// A server with the given persistence.
    pub(crate) fn start_with(persistence: Persistence) -> Self {
        Self::start_with_args(persistence, &[])
    }

    /// A server with extra `redis-server` arguments.
    pub(crate) fn start_with_args(persistence: Persistence, extra_args: &[&str]) -> Self {
        Self(TestServer::start_with(persistence, extra_args).expect("start redis-server"))
    }

    pub(crate) fn port(&self) -> u16 {
        self.0.port()
    }

    pub(crate) fn url(&self) -> String {
        self.0.url()
    }

    pub(crate) fn ping(&self) -> bool {
        self.0.ping()
    }

    /// SIGKILL: no shutdown, no last fsync.
    pub(crate) fn kill(&mut self) {
        self.0.kill();
    }

    /// SIGTERM and wait: a clean shutdown.
    pub(crate) fn terminate(&mut self) {
        self.0.terminate();
    }

    /// Start the stopped server again on the same port and directory.
    pub(crate) fn restart(&mut self) {
        self.0.restart().expect("restart redis-server");
    }
}
