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
