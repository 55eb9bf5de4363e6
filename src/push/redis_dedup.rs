//! Push dedup in Redis, shared by every receiver of a fleet.

use super::dedup::{Begin, Dedup};
use crate::error::{Error, Result};
use crate::redis_conn::{px, RedisConnection};
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
