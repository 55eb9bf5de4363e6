//! Where tokens are kept between calls and processes: the [`TokenStore`] contract (versioned
//! compare-and-set saves, refresh leases with an in-flight record) and the memory and file
//! stores. The Redis store is in `redis.rs`, tokens sealed at rest in `seal.rs`.

use super::provider::{now_ms, Stored, Token};
use super::seal::{Entry, Seal};
use crate::error::{Error, Result};
use crate::wire::BoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex as StdMutex;
use std::time::Duration;

/// What a [`TokenStore::swap`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swap {
    /// Saved as this version.
    Saved { version: u64 },
    /// Not saved: the store holds another version than the one expected (another worker saved
    /// first), and this is it.
    Newer(Stored),
}

/// What a [`TokenStore::lease`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// The caller holds the lease until it releases it or the lease's time is up. `abandoned`
    /// is the in-flight record of an earlier holder that never released its lease: a refresh
    /// that may have reached the platform without its answer being saved.
    Taken { abandoned: Option<InFlight> },
    /// Another owner holds it.
    Held,
}

/// The record a lease holder leaves before it calls the token endpoint; the release removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// The lease owner (a random value per token manager, not a secret).
    pub owner: String,
    /// When the lease was taken, epoch milliseconds.
    pub since_ms: i64,
}

/// Keeps tokens for the clients of one process or of a fleet. Keys look like
/// `youzan/<client_id>/<grant_id>/user[/<shop>]`: ids, never secrets.
///
/// A refresh goes: [`lease`](Self::lease) the key (one refresher per key across every process
/// sharing the store), [`load`](Self::load) again, call the token endpoint,
/// [`swap`](Self::swap) the new token in over the version it was refreshed from, and
/// [`release`](Self::release). A swap never overwrites a version it did not start from, so a
/// worker that stalled past its lease cannot put an older token over a newer one.
pub trait TokenStore: Send + Sync + fmt::Debug {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>>;

    /// Saves `token` under `key` if the stored version is `expected` (0: nothing stored). A key
    /// that is gone (a store emptied by a restart) takes the token: it is the newest there is.
    fn swap<'a>(
        &'a self,
        key: &'a str,
        expected: u64,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<Swap>>;

    /// Takes the refresh lease of `key` for `owner` for at most `ttl`, and records the refresh
    /// as in flight.
    fn lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease>>;

    /// Releases the lease of `key` if `owner` still holds it, and clears the in-flight record.
    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>>;

    /// The keys of the tokens stored under `prefix`, in no set order: how a worker finds the
    /// shops that authorized the app ([`crate::Client::stored_shops`]).
    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>>;
}

/// Saves `token` under `key` whatever is stored (a new authorization replaces the old one);
/// returns its version.
pub async fn replace(store: &dyn TokenStore, key: &str, token: &Token) -> Result<u64> {
    let mut expected = store.load(key).await?.map_or(0, |s| s.version);
    loop {
        match store.swap(key, expected, token).await? {
            Swap::Saved { version } => return Ok(version),
            Swap::Newer(now) => expected = now.version,
        }
    }
}

/// What a store keeps besides tokens: leases and in-flight records, by key.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Leases {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    leases: BTreeMap<String, HeldLease>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    in_flight: BTreeMap<String, InFlight>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HeldLease {
    owner: String,
    until_ms: i64,
}

impl Leases {
    fn take(&mut self, key: &str, owner: &str, ttl: Duration) -> Lease {
        let now = now_ms();
        if self
            .leases
            .get(key)
            .is_some_and(|l| l.until_ms > now && l.owner != owner)
        {
            return Lease::Held;
        }
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        self.leases.insert(
            key.to_owned(),
            HeldLease {
                owner: owner.to_owned(),
                until_ms: now.saturating_add(ttl),
            },
        );
        let record = InFlight {
            owner: owner.to_owned(),
            since_ms: now,
        };
        let abandoned = self.in_flight.insert(key.to_owned(), record);
        Lease::Taken {
            abandoned: abandoned.filter(|a| a.owner != owner),
        }
    }

    fn release(&mut self, key: &str, owner: &str) {
        if self.leases.get(key).is_some_and(|l| l.owner == owner) {
            self.leases.remove(key);
        }
        if self.in_flight.get(key).is_some_and(|l| l.owner == owner) {
            self.in_flight.remove(key);
        }
    }
}

/// Tokens in memory (the default): for the clients of one process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: StdMutex<(BTreeMap<String, Stored>, Leases)>,
}

impl MemoryStore {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, Stored>, &mut Leases) -> T) -> T {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, leases) = &mut *state;
        f(tokens, leases)
    }
}

fn swap_in(tokens: &mut BTreeMap<String, Stored>, key: &str, expected: u64, token: &Token) -> Swap {
    if let Some(now) = tokens.get(key).filter(|s| s.version != expected) {
        return Swap::Newer(now.clone());
    }
    let version = expected + 1;
    tokens.insert(
        key.to_owned(),
        Stored {
            token: token.clone(),
            version,
        },
    );
    Swap::Saved { version }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        let found = self.with(|tokens, _| tokens.get(key).cloned());
        Box::pin(async move { Ok(found) })
    }

    fn swap<'a>(
        &'a self,
        key: &'a str,
        expected: u64,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<Swap>> {
        let swapped = self.with(|tokens, _| swap_in(tokens, key, expected, token));
        Box::pin(async move { Ok(swapped) })
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease>> {
        let lease = self.with(|_, leases| leases.take(key, owner, ttl));
        Box::pin(async move { Ok(lease) })
    }

    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        self.with(|_, leases| leases.release(key, owner));
        Box::pin(async move { Ok(()) })
    }

    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        let keys = self.with(|tokens, _| {
            tokens
                .range(prefix.to_owned()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, _)| k.clone())
                .collect()
        });
        Box::pin(async move { Ok(keys) })
    }
}

/// Tokens in a JSON file, for the processes of one machine. Every operation reads, changes and
/// rewrites the file under an exclusive lock on `<file>.lock` (so processes do not lose each
/// other's writes), and writes atomically: a temporary file, fsync, rename over the old one,
/// fsync the folder. A crash at any point leaves the old file or the new one, never a torn one.
/// With a key ([`FileStore::sealed`]) tokens are sealed with AES-256-GCM.
///
/// The file is small and touched only when a token is loaded or refreshed, so the blocking IO is
/// done in place rather than on a blocking thread.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    seal: Seal,
    lock: StdMutex<()>,
}

/// The file: tokens by key, and the leases.
#[derive(Debug, Default, Serialize, Deserialize)]
struct FileState {
    tokens: BTreeMap<String, Entry>,
    #[serde(flatten)]
    leases: Leases,
}

/// The files of earlier versions: tokens by key, unversioned.
#[derive(Deserialize)]
#[serde(untagged)]
enum AnyFile {
    Now(FileState),
    Before(BTreeMap<String, Token>),
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            path: path.into(),
            seal: Seal::None,
            lock: StdMutex::new(()),
        }
    }

    /// A file store whose tokens are sealed with `seal` (tokens written before without a seal
    /// are still read, and sealed when next saved).
    pub fn sealed(path: impl Into<PathBuf>, seal: Seal) -> Self {
        FileStore {
            seal,
            ..FileStore::new(path)
        }
    }

    fn error(&self, what: &str, e: impl fmt::Display) -> Error {
        Error::Store {
            message: format!("{what} token file {}: {e}", self.path.display()),
            source: None,
        }
    }

    fn read(&self) -> Result<FileState> {
        match std::fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(AnyFile::Now(state)) => Ok(state),
                Ok(AnyFile::Before(tokens)) => Ok(FileState {
                    tokens: tokens
                        .into_iter()
                        .map(|(k, t)| (k, Entry::plain(1, t)))
                        .collect(),
                    leases: Leases::default(),
                }),
                Err(e) => Err(self.error("invalid", e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileState::default()),
            Err(e) => Err(self.error("cannot read", e)),
        }
    }

    fn write(&self, state: &FileState) -> Result<()> {
        let io = |e: std::io::Error| self.error("cannot write", e);
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp{}",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("tokens"),
            std::process::id()
        ));
        {
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            let text =
                serde_json::to_vec_pretty(state).map_err(|e| self.error("cannot write", e))?;
            f.write_all(&text).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Runs `f` on the file's contents under the locks, writing them back when `f` says so.
    fn with<T>(&self, f: impl FnOnce(&mut FileState) -> Result<(T, bool)>) -> Result<T> {
        let _in_process = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| self.error("cannot lock", e))?;
        // Released when `lock_file` is closed, on every path out of here.
        lock_file.lock().map_err(|e| self.error("cannot lock", e))?;
        let mut state = self.read()?;
        let (out, changed) = f(&mut state)?;
        if changed {
            self.write(&state)?;
        }
        Ok(out)
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        let found = self.with(|state| {
            let stored = match state.tokens.get(key) {
                Some(entry) => Some(self.seal.open(key, entry)?),
                None => None,
            };
            Ok((stored, false))
        });
        Box::pin(async move { found })
    }

    fn swap<'a>(
        &'a self,
        key: &'a str,
        expected: u64,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<Swap>> {
        let swapped = self.with(|state| match state.tokens.get(key) {
            Some(entry) if entry.version != expected => {
                Ok((Swap::Newer(self.seal.open(key, entry)?), false))
            }
            _ => {
                let version = expected + 1;
                state
                    .tokens
                    .insert(key.to_owned(), self.seal.close(key, version, token)?);
                Ok((Swap::Saved { version }, true))
            }
        });
        Box::pin(async move { swapped })
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease>> {
        let lease = self.with(|state| {
            let lease = state.leases.take(key, owner, ttl);
            let changed = matches!(lease, Lease::Taken { .. });
            Ok((lease, changed))
        });
        Box::pin(async move { lease })
    }

    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        let released = self.with(|state| {
            state.leases.release(key, owner);
            Ok(((), true))
        });
        Box::pin(async move { released })
    }

    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        let keys = self.with(|state| {
            let keys = state.tokens.keys().filter(|k| k.starts_with(prefix));
            Ok((keys.cloned().collect(), false))
        });
        Box::pin(async move { keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(access: &str) -> Token {
        Token {
            access_token: access.into(),
            refresh_token: Some(format!("r-{access}").into()),
            expires_at_ms: Some(1),
        }
    }

    async fn contract(store: &dyn TokenStore) {
        let key = "p/app/user";
        assert_eq!(store.load(key).await.unwrap(), None);
        assert_eq!(
            store.swap(key, 0, &token("a1")).await.unwrap(),
            Swap::Saved { version: 1 }
        );
        // A stale writer, refreshed from version 0 after another saved version 1.
        assert_eq!(
            store.swap(key, 0, &token("old")).await.unwrap(),
            Swap::Newer(Stored {
                token: token("a1"),
                version: 1
            })
        );
        assert_eq!(
            store.swap(key, 1, &token("a2")).await.unwrap(),
            Swap::Saved { version: 2 }
        );
        assert_eq!(store.load(key).await.unwrap().unwrap().token, token("a2"));
        assert_eq!(replace(store, key, &token("a3")).await.unwrap(), 3);

        let ttl = Duration::from_secs(30);
        assert_eq!(
            store.lease(key, "w1", ttl).await.unwrap(),
            Lease::Taken { abandoned: None }
        );
        assert_eq!(store.lease(key, "w2", ttl).await.unwrap(), Lease::Held);
        // Only the owner releases it.
        store.release(key, "w2").await.unwrap();
        assert_eq!(store.lease(key, "w2", ttl).await.unwrap(), Lease::Held);
        store.release(key, "w1").await.unwrap();
        assert_eq!(
            store.lease(key, "w2", Duration::ZERO).await.unwrap(),
            Lease::Taken { abandoned: None }
        );
        // w2's lease ran out without a release: its refresh was in flight.
        match store.lease(key, "w3", ttl).await.unwrap() {
            Lease::Taken {
                abandoned: Some(InFlight { owner, .. }),
            } => assert_eq!(owner, "w2"),
            other => panic!("{other:?}"),
        }
        store.release(key, "w3").await.unwrap();
        assert_eq!(
            store.lease(key, "w4", ttl).await.unwrap(),
            Lease::Taken { abandoned: None }
        );
        // Leases are per key.
        assert_eq!(
            store.lease("p/app/user/2", "w5", ttl).await.unwrap(),
            Lease::Taken { abandoned: None }
        );
        // Keys by prefix: a lease is not a token.
        store.swap("p/app/user/7", 0, &token("s7")).await.unwrap();
        store.swap("p/other/user/8", 0, &token("s8")).await.unwrap();
        let mut keys = store.keys("p/app/user/").await.unwrap();
        keys.sort();
        assert_eq!(keys, ["p/app/user/7"]);
    }

    #[tokio::test]
    async fn memory_store_keeps_the_contract() {
        contract(&MemoryStore::default()).await;
    }

    #[tokio::test]
    async fn file_store_keeps_the_contract_across_instances() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        contract(&FileStore::new(&path)).await;
        // A second instance (another process) sees the same leases and tokens.
        let other = FileStore::new(&path);
        assert_eq!(
            other
                .lease("p/app/user", "w9", Duration::from_secs(1))
                .await
                .unwrap(),
            Lease::Held
        );
        assert_eq!(other.load("p/app/user").await.unwrap().unwrap().version, 3);
    }

    #[tokio::test]
    async fn a_sealed_file_holds_no_token_in_clear_and_reads_older_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::fs::write(
            &path,
            r#"{"p/app/user": {"access_token": "old-a", "refresh_token": "old-r"}}"#,
        )
        .unwrap();
        let seal = Seal::from_hex(&"11".repeat(32)).unwrap();
        let store = FileStore::sealed(&path, seal);
        let before = store.load("p/app/user").await.unwrap().unwrap();
        assert_eq!(before.token.access_token.expose(), "old-a");
        assert_eq!(before.version, 1);
        store
            .swap("p/app/user", 1, &token("secret-a"))
            .await
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("secret-a") && !text.contains("old-a"),
            "{text}"
        );
        assert_eq!(
            store.load("p/app/user").await.unwrap().unwrap().token,
            token("secret-a")
        );
        // Without the key, or with another, the file cannot be read.
        let e = FileStore::new(&path).load("p/app/user").await.unwrap_err();
        assert!(e.to_string().contains("sealed"), "{e}");
        let other = Seal::from_hex(&"22".repeat(32)).unwrap();
        assert!(FileStore::sealed(&path, other)
            .load("p/app/user")
            .await
            .is_err());
    }
}
