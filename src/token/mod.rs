//! Tokens: providers that obtain them, stores that keep them (`store.rs`, `redis.rs`, sealed at
//! rest by `seal.rs`), and a cache that refreshes them before expiry with single-flight, N
//! waiting calls and 1 refresh, in a process and across processes (`cache`).
//! The built-in platforms' providers live in their folders (`src/platform/<p>/token.rs`).

mod cache;
mod flow;
mod provider;
#[cfg(feature = "redis")]
mod redis;
mod seal;
mod store;

#[cfg(feature = "redis")]
pub use crate::redis_conn::RedisConnection;
pub(crate) use cache::TokenManager;
pub(crate) use flow::{grant_in, needs_code, refresh_of, shop_in, url as flow_url};
pub use flow::{AuthorizationFlow, Grant};
pub(crate) use provider::{configured, newest_refresh, now_ms, refreshed};
pub use provider::{StaticToken, Stored, Token, TokenContext, TokenProvider};
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use seal::Seal;
pub use store::{replace, FileStore, InFlight, Lease, MemoryStore, Swap, TokenStore};
