//! The shared connection to Redis: one multiplexed, self-reconnecting
//! connection that many budgets can use at once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisError, ScriptInvocation};

use rig_compose::budget::BudgetError;

use crate::config::{ConfigError, DEFAULT_OP_TIMEOUT};
use crate::scripts;

/// How the connection behaves when Redis is slow or away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// Time allowed to establish a TCP connection.
    pub connect_timeout: Duration,
    /// Default time one operation may take; budgets may override it.
    pub op_timeout: Duration,
    /// Reconnection attempts after the connection drops, before commands
    /// fail (a later command starts a new round).
    pub reconnect_retries: usize,
    /// Upper bound of the exponential back-off between reconnection
    /// attempts.
    pub max_reconnect_delay: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            op_timeout: DEFAULT_OP_TIMEOUT,
            reconnect_retries: 3,
            max_reconnect_delay: Duration::from_millis(500),
        }
    }
}

/// A connection to one Redis (or Valkey) server, shared by every budget
/// built on it. Cheap to clone.
///
/// It connects lazily and reconnects by itself, so a budget can be built
/// while Redis is down (a fail-open budget then admits work until Redis is
/// back). Must be opened from within a Tokio runtime.
#[derive(Clone)]
pub struct RedisConnection {
    manager: ConnectionManager,
    target: Arc<str>,
    op_timeout: Duration,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("target", &self.target)
            .field("op_timeout", &self.op_timeout)
            .finish()
    }
}

impl RedisConnection {
    /// Open a connection to `url` (e.g. `redis://127.0.0.1:6379/0`) with
    /// default settings. Nothing is sent until the first operation.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Connection`] for a malformed URL,
    /// [`ConfigError::NoRuntime`] outside a Tokio runtime.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Self::open_with(url, ConnectionSettings::default())
    }

    /// Open a connection to `url` with explicit settings.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with(url: &str, settings: ConnectionSettings) -> Result<Self, ConfigError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::NoRuntime);
        }
        let client = redis::Client::open(url).map_err(|err| ConfigError::Connection {
            target: redact(url),
            reason: err.to_string(),
        })?;
        let target: Arc<str> = client.get_connection_info().addr().to_string().into();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.connect_timeout))
            .set_response_timeout(Some(settings.op_timeout))
            .set_number_of_retries(settings.reconnect_retries)
            .set_max_delay(settings.max_reconnect_delay);
        let manager = ConnectionManager::new_lazy_with_config(client, config).map_err(|err| {
            ConfigError::Connection {
                target: target.to_string(),
                reason: err.to_string(),
            }
        })?;
        Ok(Self {
            manager,
            target,
            op_timeout: settings.op_timeout,
        })
    }

    /// Wrap a connection manager the application already has. `target`
    /// names the server in error messages (leave credentials out).
    pub fn from_manager(manager: ConnectionManager, target: impl Into<String>) -> Self {
        Self {
            manager,
            target: target.into().into(),
            op_timeout: DEFAULT_OP_TIMEOUT,
        }
    }

    /// Change the default operation timeout.
    pub fn with_op_timeout(mut self, op_timeout: Duration) -> Self {
        self.op_timeout = op_timeout;
        self
    }

    /// The server's address, as used in error messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The default operation timeout.
    pub fn op_timeout(&self) -> Duration {
        self.op_timeout
    }

    /// A handle on the underlying connection manager, for commands of the
    /// application's own.
    pub fn manager(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// Load every budget script into the server's script cache now, so the
    /// first operation of each kind is a single `EVALSHA` (otherwise it
    /// costs one extra round trip to load). Worth calling at start-up and
    /// after a failover.
    ///
    /// # Errors
    ///
    /// [`BudgetError::Backend`] when Redis fails to answer.
    pub async fn load_scripts(&self) -> Result<(), BudgetError> {
        for script in scripts::all() {
            let mut manager = self.manager.clone();
            let loaded = tokio::time::timeout(
                self.op_timeout,
                script.prepare_invoke().load_async(&mut manager),
            )
            .await;
            let failure = match loaded {
                Ok(Ok(_)) => continue,
                Ok(Err(err)) => OpFailure::Redis(err),
                Err(_) => OpFailure::Timeout(self.op_timeout),
            };
            return Err(BudgetError::Backend(format!(
                "redis at {}: loading the budget scripts failed: {failure}",
                self.target
            )));
        }
        Ok(())
    }

    /// Run one script invocation, bounded by `timeout`.
    pub(crate) async fn run<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
        timeout: Duration,
    ) -> Result<T, OpFailure> {
        let mut manager = self.manager.clone();
        match tokio::time::timeout(timeout, invocation.invoke_async(&mut manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(OpFailure::Redis(err)),
            Err(_) => Err(OpFailure::Timeout(timeout)),
        }
    }
}

/// Why one backend operation did not complete.
#[derive(Debug)]
pub(crate) enum OpFailure {
    /// No answer within the operation timeout.
    Timeout(Duration),
    /// Redis (or the connection to it) reported an error.
    Redis(RedisError),
    /// Redis answered, but not in the shape the script promises.
    Reply(String),
}

impl OpFailure {
    pub(crate) fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout(_) => true,
            Self::Redis(err) => err.is_timeout(),
            Self::Reply(_) => false,
        }
    }
}

impl fmt::Display for OpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(after) => write!(f, "no answer within {} ms", after.as_millis()),
            Self::Redis(err) if err.is_connection_refusal() => {
                write!(f, "Redis is unreachable (connection refused: {err})")
            }
            Self::Redis(err) if err.is_io_error() || err.is_connection_dropped() => {
                write!(f, "Redis is unreachable ({err})")
            }
            Self::Redis(err) => write!(f, "Redis returned an error: {err}"),
            Self::Reply(what) => write!(f, "unexpected reply from a budget script: {what}"),
        }
    }
}

/// A URL fit for error messages: everything between `//` and `@` (the
/// credentials) is replaced.
fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("//")
        && let Some((_, host)) = rest.rsplit_once('@')
    {
        return format!("{scheme}//***@{host}");
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_messages() {
        assert_eq!(
            redact("redis://user:secret@host:6379/0"),
            "redis://***@host:6379/0"
        );
        assert_eq!(redact("redis://host:6379"), "redis://host:6379");
    }

    #[test]
    fn opening_needs_a_runtime() {
        assert_eq!(
            RedisConnection::open("redis://127.0.0.1:1").unwrap_err(),
            ConfigError::NoRuntime
        );
    }

    #[tokio::test]
    async fn malformed_urls_are_rejected() {
        let err = RedisConnection::open("http://:pw@nowhere").unwrap_err();
        assert!(
            matches!(err, ConfigError::Connection { ref target, .. } if !target.contains("pw"))
        );
        let ok = RedisConnection::open("redis://127.0.0.1:1/").unwrap();
        assert_eq!(ok.target(), "127.0.0.1:1");
        assert_eq!(ok.op_timeout(), DEFAULT_OP_TIMEOUT);
    }

    #[test]
    fn failures_explain_themselves() {
        let timeout = OpFailure::Timeout(Duration::from_millis(250));
        assert!(timeout.is_timeout());
        assert_eq!(timeout.to_string(), "no answer within 250 ms");
        let reply = OpFailure::Reply("3 items".into());
        assert!(!reply.is_timeout());
        assert!(reply.to_string().contains("3 items"));
    }
}
