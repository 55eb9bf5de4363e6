//! Rate limits: a platform's `qps`, kept in the process (the default) or shared by every
//! process of a fleet through Redis ([`SharedLimit`] implementations).
//!
//! Both reserve slots (GCRA in its reservation form): a call takes the next free slot, one
//! interval after the previous one, and waits until it comes; no call is refused and retried.
//!
//! A shared limit's store may be down for a moment (a Redis restart or failover). No call has
//! gone out then, so the reservation is tried again with backoff for up to the client's
//! `rate_limit_outage` (default [`DEFAULT_OUTAGE`]) before the call fails with the store's
//! error: a blip slows a long job and does not end it.

use crate::error::{Error, Result};
use crate::wire::BoxFuture;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A limit shared by the processes of a fleet.
pub trait SharedLimit: Send + Sync + fmt::Debug {
    /// Reserves the next slot of `key`, `interval` after the one reserved before it, and returns
    /// how long to wait for it.
    fn reserve<'a>(&'a self, key: &'a str, interval: Duration) -> BoxFuture<'a, Result<Duration>>;
}

/// One platform's limit in a client.
#[derive(Debug)]
pub(crate) enum RateLimiter {
    /// The next free slot of this process.
    Local {
        interval: Duration,
        next: tokio::sync::Mutex<Instant>,
    },
    /// Slots of the fleet, under `key` (`<platform>/<app>`, ids only).
    Shared {
        interval: Duration,
        key: String,
        limit: Arc<dyn SharedLimit>,
        /// How long a failing store is tried again.
        outage: Duration,
    },
}

/// How long a shared limit's failing store is tried again by default: a Redis restart or a
/// Sentinel failover takes seconds.
pub const DEFAULT_OUTAGE: Duration = Duration::from_secs(10);

/// The smallest rate a limiter keeps: one call a year.
pub const MIN_QPS: f64 = 1.0 / (365.0 * 24.0 * 3600.0);

impl RateLimiter {
    /// A limiter of `qps` calls a second, or `None` when that is not a rate this can keep: zero,
    /// negative, not finite, or fewer than one call a year ([`MIN_QPS`]; `1e-19` put the next
    /// slot beyond what an `Instant` holds, and the client panicked adding them).
    pub(crate) fn new(
        qps: f64,
        key: String,
        shared: Option<(&Arc<dyn SharedLimit>, Duration)>,
    ) -> Option<Self> {
        if !(qps >= MIN_QPS && qps.is_finite()) {
            return None;
        }
        let interval = Duration::from_secs_f64(1.0 / qps);
        Some(match shared {
            Some((limit, outage)) => RateLimiter::Shared {
                interval,
                key,
                limit: limit.clone(),
                outage,
            },
            None => RateLimiter::Local {
                interval,
                next: tokio::sync::Mutex::new(Instant::now()),
            },
        })
    }

    /// Waits for this call's slot.
    pub(crate) async fn acquire(&self) -> Result<()> {
        let wait = match self {
            RateLimiter::Local { interval, next } => {
                let mut next = next.lock().await;
                let now = Instant::now();
                let at = (*next).max(now);
                *next = at + *interval;
                at - now
            }
            RateLimiter::Shared {
                interval,
                key,
                limit,
                outage,
            } => reserve(&**limit, key, *interval, *outage).await?,
        };
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// Reserves a slot of `limit`, trying a failing store again with backoff until `outage` has
/// passed since the first failure.
async fn reserve(
    limit: &dyn SharedLimit,
    key: &str,
    interval: Duration,
    outage: Duration,
) -> Result<Duration> {
    let mut failing_since = None;
    let mut attempt = 0;
    loop {
        match limit.reserve(key, interval).await {
            Ok(wait) => return Ok(wait),
            Err(e @ Error::Store { .. }) => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                attempt += 1;
                let backoff = crate::backoff::backoff(
                    Duration::from_millis(50),
                    Duration::from_secs(1),
                    attempt,
                );
                if since.elapsed() + backoff > outage {
                    return Err(e);
                }
                tracing::warn!(attempt, error = %e, "rate limit store failed; trying again");
                tokio::time::sleep(backoff).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(feature = "redis")]
pub use self::redis::RedisLimit;

#[cfg(feature = "redis")]
mod redis {
    use super::SharedLimit;
    use crate::error::Result;
    use crate::wire::BoxFuture;
    use std::time::Duration;

    /// Slots in Redis: `<prefix>rate:{<key>}` holds the fleet's next free slot (microseconds of
    /// the Redis server's clock, so that the machines' clocks do not matter).
    #[derive(Debug, Clone)]
    pub struct RedisLimit {
        redis: crate::redis_conn::RedisConnection,
        prefix: String,
        script: std::sync::Arc<::redis::Script>,
    }

    const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if next < now then next = now end
local after = next + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return next - now
";

    impl RedisLimit {
        /// Limits on the Redis at `url`, keys under `prefix`.
        pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self> {
            Ok(RedisLimit {
                redis: crate::redis_conn::RedisConnection::new(url, timeout)?,
                prefix: prefix.to_owned(),
                script: std::sync::Arc::new(::redis::Script::new(RESERVE)),
            })
        }
    }

    impl SharedLimit for RedisLimit {
        fn reserve<'a>(
            &'a self,
            key: &'a str,
            interval: Duration,
        ) -> BoxFuture<'a, Result<Duration>> {
            Box::pin(async move {
                let micros = u64::try_from(interval.as_micros()).unwrap_or(u64::MAX);
                let wait: i64 = self
                    .script
                    .key(format!("{}rate:{{{key}}}", self.prefix))
                    .arg(micros)
                    .invoke_async(&mut self.redis.conn.clone())
                    .await
                    .map_err(|e| self.redis.error("rate limit", e))?;
                Ok(Duration::from_micros(wait.max(0) as u64))
            })
        }
    }
}
