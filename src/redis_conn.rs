//! A connection to Redis, reconnecting, shared by what a fleet keeps there: the token store
//! (`token/redis.rs`), the shared rate limit (`limit.rs`) and the push dedup
//! (`push/redis_dedup.rs`).

use crate::error::{Error, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::fmt;
use std::time::Duration;

/// A connection to a Redis (reconnecting), with the server's name for errors.
#[derive(Clone)]
pub struct RedisConnection {
    pub(crate) conn: ConnectionManager,
    /// `host:port/db` of the URL, for errors: the URL may carry a password.
    pub(crate) server: String,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// The Redis at `url` (`redis://[:password@]host:port/db`). Connects on first use, with
    /// `timeout` for connecting and for each command.
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|e| {
            Error::Config(format!(
                "not a Redis URL (redis://[:password@]host:port/db): {e}"
            ))
        })?;
        let info = client.get_connection_info();
        let server = format!("{}/{}", info.addr(), info.redis_settings().db());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2);
        let conn =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|e| Error::Store {
                message: format!("redis {server}: {e}"),
                source: Some(Box::new(e)),
            })?;
        Ok(RedisConnection { conn, server })
    }

    /// A failed command as an [`Error::Store`] naming the server and what was being done.
    pub(crate) fn error(&self, what: &str, e: redis::RedisError) -> Error {
        Error::Store {
            message: format!("redis {}: {what}: {e}", self.server),
            source: Some(Box::new(e)),
        }
    }
}

/// A duration as Redis's `PX` milliseconds: at least 1 (0 is an error there).
pub(crate) fn px(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
