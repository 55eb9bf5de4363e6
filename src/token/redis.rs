//! Tokens in Redis, for a fleet of processes (`[client] token_store = "redis://host:port/db"`).
//!
//! Each token is a hash `<prefix>{<key>}` with its version `v` and entry `e` (the token in clear
//! or sealed, `seal.rs`); its refresh lease is `<prefix>{<key>}:lease` (the owner, with a TTL)
//! and its in-flight record `<prefix>{<key>}:inflight` (`<owner> <since_ms>`, kept a week). The
//! braces make the three keys one hash slot, so the scripts also run on a Redis Cluster. Every
//! change is one Lua script, atomic on the server: compare-and-set on the version, lease only
//! when free or already ours, release only by the owner.
//!
//! The connection is redis-rs's `ConnectionManager`, which reconnects after Redis restarts; a
//! command that fails meanwhile is an [`Error::Store`]. Tokens survive a restart only if Redis
//! persists them (AOF): run the token store's Redis with `appendonly yes`.

use super::provider::{now_ms, Stored, Token};
use super::seal::{Entry, Seal};
use super::store::{InFlight, Lease, Swap, TokenStore};
use crate::error::{Error, Result};
use crate::redis_conn::{px, RedisConnection};
use crate::wire::BoxFuture;
use std::fmt;
use std::time::Duration;

/// Tokens in Redis; see the module's documentation.
#[derive(Clone)]
pub struct RedisStore {
    redis: RedisConnection,
    prefix: String,
    seal: Seal,
    scripts: std::sync::Arc<[redis::Script; 3]>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("server", &self.redis.server)
            .field("prefix", &self.prefix)
            .field("seal", &self.seal)
            .finish_non_exhaustive()
    }
}

const SWAP: &str = r"
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local expected = tonumber(ARGV[1])
if v ~= expected and v ~= 0 then
  return {0, v, redis.call('HGET', KEYS[1], 'e')}
end
redis.call('HSET', KEYS[1], 'v', expected + 1, 'e', ARGV[2])
return {1, expected + 1, false}
";

const LEASE: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {'0'}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local before = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[3], 'EX', 604800)
if before then
  return {'1', before}
end
return {'1'}
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
local record = redis.call('GET', KEYS[2])
if record and string.sub(record, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then
  redis.call('DEL', KEYS[2])
end
return 1
";

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port/db`), its keys starting
    /// with `prefix`. Connects on first use, with `timeout` for connecting and for each command.
    pub fn new(url: &str, prefix: &str, seal: Seal, timeout: Duration) -> Result<Self> {
        Ok(RedisStore {
            redis: RedisConnection::new(url, timeout)?,
            prefix: prefix.to_owned(),
            seal,
            scripts: std::sync::Arc::new([
                redis::Script::new(SWAP),
                redis::Script::new(LEASE),
                redis::Script::new(RELEASE),
            ]),
        })
    }

    fn keys(&self, key: &str) -> [String; 3] {
        let base = format!("{}{{{key}}}", self.prefix);
        [
            base.clone(),
            format!("{base}:lease"),
            format!("{base}:inflight"),
        ]
    }

    fn error(&self, what: &str, e: redis::RedisError) -> Error {
        self.redis.error(what, e)
    }

    fn entry(&self, key: &str, version: u64, text: &str) -> Result<Stored> {
        let mut entry: Entry = serde_json::from_str(text).map_err(|_| Error::Store {
            message: format!("redis {}: token {key} is not an entry", self.redis.server),
            source: None,
        })?;
        entry.version = version;
        self.seal.open(key, &entry)
    }
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        Box::pin(async move {
            let [token_key, ..] = self.keys(key);
            let (version, text): (Option<u64>, Option<String>) = redis::cmd("HMGET")
                .arg(&token_key)
                .arg("v")
                .arg("e")
                .query_async(&mut self.redis.conn.clone())
                .await
                .map_err(|e| self.error("load", e))?;
            match (version, text) {
                (Some(v), Some(text)) => self.entry(key, v, &text).map(Some),
                _ => Ok(None),
            }
        })
    }

    fn swap<'a>(
        &'a self,
        key: &'a str,
        expected: u64,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<Swap>> {
        Box::pin(async move {
            let [token_key, ..] = self.keys(key);
            let entry = self.seal.close(key, expected + 1, token)?;
            let text = serde_json::to_string(&entry).map_err(|e| Error::Store {
                message: format!("token {key}: {e}"),
                source: None,
            })?;
            let (saved, version, now): (u8, u64, Option<String>) = self.scripts[0]
                .key(&token_key)
                .arg(expected)
                .arg(text)
                .invoke_async(&mut self.redis.conn.clone())
                .await
                .map_err(|e| self.error("swap", e))?;
            match (saved, now) {
                (1, _) => Ok(Swap::Saved { version }),
                (_, Some(now)) => Ok(Swap::Newer(self.entry(key, version, &now)?)),
                (_, None) => Err(Error::Store {
                    message: format!(
                        "redis {}: token {key} has a version and no entry",
                        self.redis.server
                    ),
                    source: None,
                }),
            }
        })
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease>> {
        Box::pin(async move {
            let [_, lease_key, record_key] = self.keys(key);
            let ttl_ms = px(ttl);
            let answer: Vec<String> = self.scripts[1]
                .key(&lease_key)
                .key(&record_key)
                .arg(owner)
                .arg(ttl_ms)
                .arg(now_ms())
                .invoke_async(&mut self.redis.conn.clone())
                .await
                .map_err(|e| self.error("lease", e))?;
            Ok(match answer.as_slice() {
                [taken] if taken == "0" => Lease::Held,
                [_, before] => Lease::Taken {
                    abandoned: before.split_once(' ').and_then(|(who, since)| {
                        (who != owner).then(|| InFlight {
                            owner: who.to_owned(),
                            since_ms: since.parse().unwrap_or(0),
                        })
                    }),
                },
                _ => Lease::Taken { abandoned: None },
            })
        })
    }

    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            // `<prefix>{<key>}`: the pattern ends at the brace, so leases and records stay out.
            let escaped: String = prefix
                .chars()
                .flat_map(|c| {
                    let special = matches!(c, '*' | '?' | '[' | ']' | '\\');
                    special.then_some('\\').into_iter().chain([c])
                })
                .collect();
            let pattern = format!("{}{{{escaped}*}}", self.prefix);
            let mut conn = self.redis.conn.clone();
            let mut cursor = 0u64;
            let mut keys = Vec::new();
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| self.error("scan", e))?;
                let head = format!("{}{{", self.prefix);
                keys.extend(
                    batch
                        .iter()
                        .filter_map(|k| Some(k.strip_prefix(&head)?.strip_suffix('}')?.to_owned())),
                );
                if next == 0 {
                    return Ok(keys);
                }
                cursor = next;
            }
        })
    }

    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let [_, lease_key, record_key] = self.keys(key);
            let _: i64 = self.scripts[2]
                .key(&lease_key)
                .key(&record_key)
                .arg(owner)
                .invoke_async(&mut self.redis.conn.clone())
                .await
                .map_err(|e| self.error("release", e))?;
            Ok(())
        })
    }
}
