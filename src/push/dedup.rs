//! Which messages were handled: a claim per message key while its handler runs, and a mark
//! kept for a while after it succeeded, so a redelivery (or a duplicate arriving meanwhile)
//! is answered without handling it again.

use crate::error::Result;
use crate::wire::BoxFuture;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What [`Dedup::begin`] found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Not seen (or its last handler failed, or its claim lapsed): the caller handles it now.
    New,
    /// Handled before: answer success without handling it again.
    Done,
    /// Another delivery's handler holds it right now: answer failure, the platform redelivers.
    Busy,
}

/// The store of handled message keys. Object-safe; the memory one is the default and the
/// Redis one is shared by a fleet of receivers (feature `redis`).
pub trait Dedup: Send + Sync + fmt::Debug {
    /// Claims `key` for `owner` for at most `lease` unless it is done or claimed.
    fn begin<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Begin>>;
    /// Marks `key` handled, for `keep`.
    fn finish<'a>(&'a self, key: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>>;
    /// Drops `owner`'s claim of `key` (its handler failed), so a redelivery handles it.
    fn abandon<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>>;
}

#[derive(Debug)]
enum Mark {
    Claimed(String),
    Done,
}

/// Message keys in this process's memory, each forgotten when its claim or mark expires.
#[derive(Debug, Default)]
pub struct MemoryDedup {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    marks: HashMap<String, (Mark, Instant)>,
    /// Expired marks are swept when the map doubles from its size after the last sweep, so
    /// memory follows the marks alive, at amortised O(1) per message.
    swept_at: usize,
}

impl MemoryDedup {
    pub fn new() -> Self {
        MemoryDedup::default()
    }

    /// How many keys are remembered (claimed or done), expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().marks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn set(&mut self, key: &str, mark: Mark, until: Instant) {
        if self.marks.len() >= 1024 && self.marks.len() >= 2 * self.swept_at {
            let now = Instant::now();
            self.marks.retain(|_, (_, u)| *u > now);
            self.swept_at = self.marks.len();
        }
        self.marks.insert(key.to_owned(), (mark, until));
    }
}

impl Dedup for MemoryDedup {
    fn begin<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Begin>> {
        Box::pin(async move {
            let now = Instant::now();
            let mut s = self.lock();
            match s.marks.get(key) {
                Some((Mark::Done, until)) if *until > now => Ok(Begin::Done),
                Some((Mark::Claimed(_), until)) if *until > now => Ok(Begin::Busy),
                _ => {
                    s.set(key, Mark::Claimed(owner.to_owned()), now + lease);
                    Ok(Begin::New)
                }
            }
        })
    }

    fn finish<'a>(&'a self, key: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.lock().set(key, Mark::Done, Instant::now() + keep);
            Ok(())
        })
    }

    fn abandon<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut s = self.lock();
            if matches!(s.marks.get(key), Some((Mark::Claimed(o), _)) if o == owner) {
                s.marks.remove(key);
            }
            Ok(())
        })
    }
}

#[cfg(feature = "redis")]
pub use self::redis_dedup::RedisDedup;

#[cfg(feature = "redis")]
mod redis_dedup {
    use super::{Begin, Dedup};
    use crate::error::{Error, Result};
    use crate::token::redis::px;
    use crate::token::RedisConnection;
    use crate::wire::BoxFuture;
    use std::fmt;
    use std::sync::Arc;
    use std::time::Duration;

    /// Message keys in Redis, shared by every receiver of a fleet: `<prefix>{<key>}` holds
    /// `c:<owner>` while a handler runs (expiring with the lease) and `d` once done (expiring
    /// after `keep`). Each step is one command or one Lua script, atomic on the server.
    #[derive(Clone)]
    pub struct RedisDedup {
        redis: RedisConnection,
        prefix: String,
        scripts: Arc<[redis::Script; 2]>,
    }

    impl fmt::Debug for RedisDedup {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("RedisDedup")
                .field("redis", &self.redis)
                .field("prefix", &self.prefix)
                .finish_non_exhaustive()
        }
    }

    /// 0 claimed, 1 done, 2 claimed by another.
    const BEGIN: &str = r"
local v = redis.call('GET', KEYS[1])
if v == 'd' then return 1 end
if v then return 2 end
redis.call('SET', KEYS[1], 'c:' .. ARGV[1], 'PX', ARGV[2])
return 0";

    const ABANDON: &str = r"
if redis.call('GET', KEYS[1]) == 'c:' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0";

    impl RedisDedup {
        /// Keys under `prefix` (e.g. `opengate:push:`) in the Redis of `redis`.
        pub fn new(redis: RedisConnection, prefix: &str) -> Self {
            RedisDedup {
                redis,
                prefix: prefix.to_owned(),
                scripts: Arc::new([redis::Script::new(BEGIN), redis::Script::new(ABANDON)]),
            }
        }

        fn key(&self, key: &str) -> String {
            format!("{}{{{key}}}", self.prefix)
        }

        fn failed(&self, e: redis::RedisError) -> Error {
            self.redis.error("push dedup", e)
        }
    }

    impl Dedup for RedisDedup {
        fn begin<'a>(
            &'a self,
            key: &'a str,
            owner: &'a str,
            lease: Duration,
        ) -> BoxFuture<'a, Result<Begin>> {
            Box::pin(async move {
                let mut conn = self.redis.conn.clone();
                let found: i64 = self.scripts[0]
                    .key(self.key(key))
                    .arg(owner)
                    .arg(px(lease))
                    .invoke_async(&mut conn)
                    .await
                    .map_err(|e| self.failed(e))?;
                Ok(match found {
                    0 => Begin::New,
                    1 => Begin::Done,
                    _ => Begin::Busy,
                })
            })
        }

        fn finish<'a>(&'a self, key: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                let mut conn = self.redis.conn.clone();
                redis::cmd("SET")
                    .arg(self.key(key))
                    .arg("d")
                    .arg("PX")
                    .arg(px(keep))
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| self.failed(e))
            })
        }

        fn abandon<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                let mut conn = self.redis.conn.clone();
                self.scripts[1]
                    .key(self.key(key))
                    .arg(owner)
                    .invoke_async::<i64>(&mut conn)
                    .await
                    .map(drop)
                    .map_err(|e| self.failed(e))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_new_once_busy_while_claimed_and_done_after() {
        let d = MemoryDedup::new();
        let lease = Duration::from_secs(60);
        assert_eq!(d.begin("k", "a", lease).await.unwrap(), Begin::New);
        assert_eq!(d.begin("k", "b", lease).await.unwrap(), Begin::Busy);
        // Another owner's abandon leaves the claim.
        d.abandon("k", "b").await.unwrap();
        assert_eq!(d.begin("k", "b", lease).await.unwrap(), Begin::Busy);
        d.abandon("k", "a").await.unwrap();
        assert_eq!(d.begin("k", "b", lease).await.unwrap(), Begin::New);
        d.finish("k", lease).await.unwrap();
        assert_eq!(d.begin("k", "c", lease).await.unwrap(), Begin::Done);
    }

    #[tokio::test]
    async fn a_lapsed_claim_is_new_again_and_expired_marks_are_swept() {
        let d = MemoryDedup::new();
        assert_eq!(
            d.begin("k", "a", Duration::from_millis(1)).await.unwrap(),
            Begin::New
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            d.begin("k", "b", Duration::from_secs(1)).await.unwrap(),
            Begin::New
        );
        for i in 0..5000 {
            d.finish(&i.to_string(), Duration::from_millis(1))
                .await
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
        for i in 5000..7000 {
            d.finish(&i.to_string(), Duration::from_secs(60))
                .await
                .unwrap();
        }
        assert!(d.len() < 7000, "expired marks stay: {}", d.len());
    }
}
