//! Time windows: "everything modified between t0 and t1" as consecutive windows no longer than
//! the platform takes, run in order, with a checkpoint saved after each one, so that a run that
//! crashed resumes after its last completed window instead of from t0.
//!
//! The checkpoint says how far the run got (the end of the last window done); a window is done
//! when the caller's function returned `Ok` for it. A run killed inside a window reads that
//! window again when it resumes: make what a window writes idempotent (keyed by the item's id or
//! the window), and no completed window is read twice.

use crate::error::{Error, Result};
use crate::types::DateTime;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// One window: from `start` (inclusive) to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime,
    pub end: DateTime,
}

/// The windows of a range, each at most `max` long.
#[derive(Debug, Clone)]
pub struct Windows {
    start: DateTime,
    end: DateTime,
    step_ms: i64,
}

/// How far a run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The end of the last window done (the range's start if none was).
    pub done_until: DateTime,
    /// Windows done by this run (not counting those a checkpoint skipped).
    pub windows: usize,
}

impl Windows {
    /// The range from `start` to `end` in windows of at most `max` (at least a second).
    pub fn new(start: DateTime, end: DateTime, max: Duration) -> Self {
        let step_ms = i64::try_from(max.as_millis()).unwrap_or(i64::MAX).max(1000);
        Windows {
            start,
            end,
            step_ms,
        }
    }

    /// The windows in order, each starting where the one before ended.
    pub fn iter(&self) -> impl Iterator<Item = Window> + '_ {
        let end = self.end.epoch_millis();
        std::iter::successors(Some(self.start.epoch_millis()), move |s| {
            let next = s.saturating_add(self.step_ms);
            (next < end).then_some(next)
        })
        .filter(move |s| *s < end)
        .map(move |s| Window {
            start: DateTime::from_epoch_millis(s),
            end: DateTime::from_epoch_millis(s.saturating_add(self.step_ms).min(end)),
        })
    }

    /// Runs `f` on every window the checkpoint does not show done, in order, saving the
    /// checkpoint after each one that succeeded. The first error ends the run and is returned;
    /// the checkpoint then says where the next run resumes.
    pub async fn run<F, Fut>(&self, checkpoint: &dyn Checkpoint, mut f: F) -> Result<Progress>
    where
        F: FnMut(Window) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let done = checkpoint.load()?;
        let mut progress = Progress {
            done_until: done.map_or(self.start, |d| d.max(self.start)),
            windows: 0,
        };
        for w in self.iter().filter(|w| done.is_none_or(|d| w.end > d)) {
            f(w).await?;
            checkpoint.save(w.end)?;
            progress.done_until = w.end;
            progress.windows += 1;
        }
        Ok(progress)
    }
}

/// Where a run keeps how far it got: the end of its last completed window.
pub trait Checkpoint: Send + Sync + std::fmt::Debug {
    fn load(&self) -> Result<Option<DateTime>>;
    fn save(&self, done_until: DateTime) -> Result<()>;
}

/// A checkpoint in a file (epoch milliseconds as text), replaced atomically: written beside it,
/// flushed to disk, renamed over it; a crash leaves the old or the new one, never half of one.
#[derive(Debug, Clone)]
pub struct FileCheckpoint {
    path: PathBuf,
}

impl FileCheckpoint {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileCheckpoint { path: path.into() }
    }

    fn failed(&self, what: &str, e: std::io::Error) -> Error {
        Error::Checkpoint {
            message: format!("cannot {what} {}: {e}", self.path.display()),
            source: Some(e),
        }
    }
}

impl Checkpoint for FileCheckpoint {
    fn load(&self) -> Result<Option<DateTime>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text
                .trim()
                .parse::<i64>()
                .map(|ms| Some(DateTime::from_epoch_millis(ms)))
                .map_err(|_| Error::Checkpoint {
                    message: format!(
                        "{} is not a checkpoint (epoch milliseconds)",
                        self.path.display()
                    ),
                    source: None,
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.failed("read", e)),
        }
    }

    fn save(&self, done_until: DateTime) -> Result<()> {
        use std::io::Write;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            writeln!(f, "{}", done_until.epoch_millis())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| self.failed("write", e))
    }
}

/// A checkpoint in memory (a run that need not survive the process).
#[derive(Debug, Default)]
pub struct MemoryCheckpoint(Mutex<Option<DateTime>>);

impl Checkpoint for MemoryCheckpoint {
    fn load(&self) -> Result<Option<DateTime>> {
        Ok(*self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn save(&self, done_until: DateTime) -> Result<()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(done_until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime {
        DateTime::parse_beijing(s).unwrap()
    }

    #[test]
    fn a_range_splits_into_windows_of_at_most_a_day() {
        let w = Windows::new(
            at("2024-03-01 00:00:00"),
            at("2024-03-03 12:00:00"),
            Duration::from_secs(24 * 3600),
        );
        let got: Vec<(String, String)> = w
            .iter()
            .map(|w| (w.start.to_beijing_string(), w.end.to_beijing_string()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2024-03-01 00:00:00".to_owned(),
                    "2024-03-02 00:00:00".to_owned()
                ),
                (
                    "2024-03-02 00:00:00".to_owned(),
                    "2024-03-03 00:00:00".to_owned()
                ),
                (
                    "2024-03-03 00:00:00".to_owned(),
                    "2024-03-03 12:00:00".to_owned()
                ),
            ]
        );
        let empty = Windows::new(
            at("2024-03-01 00:00:00"),
            at("2024-03-01 00:00:00"),
            Duration::from_secs(60),
        );
        assert_eq!(empty.iter().count(), 0);
    }

    #[tokio::test]
    async fn a_failed_window_stops_the_run_and_the_next_run_resumes_there() {
        let w = Windows::new(
            at("2024-03-01 00:00:00"),
            at("2024-03-05 00:00:00"),
            Duration::from_secs(86_400),
        );
        let cp = MemoryCheckpoint::default();
        let mut seen = Vec::new();
        let err = w
            .run(&cp, |win| {
                seen.push(win.start);
                let fail = seen.len() == 3;
                async move {
                    if fail {
                        Err(Error::Config("down".into()))
                    } else {
                        Ok(())
                    }
                }
            })
            .await;
        assert!(err.is_err());
        assert_eq!(cp.load().unwrap(), Some(at("2024-03-03 00:00:00")));
        let mut again = Vec::new();
        let progress = w
            .run(&cp, |win| {
                again.push(win.start);
                async { Ok(()) }
            })
            .await
            .unwrap();
        assert_eq!(
            again,
            [at("2024-03-03 00:00:00"), at("2024-03-04 00:00:00")]
        );
        assert_eq!(progress.windows, 2);
        assert_eq!(progress.done_until, at("2024-03-05 00:00:00"));
    }

    #[test]
    fn a_file_checkpoint_survives_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let cp = FileCheckpoint::new(dir.path().join("cp"));
        assert_eq!(cp.load().unwrap(), None);
        cp.save(at("2024-03-02 00:00:00")).unwrap();
        assert_eq!(
            FileCheckpoint::new(dir.path().join("cp")).load().unwrap(),
            Some(at("2024-03-02 00:00:00"))
        );
        std::fs::write(dir.path().join("bad"), "yesterday").unwrap();
        let err = FileCheckpoint::new(dir.path().join("bad"))
            .load()
            .unwrap_err();
        assert!(err.to_string().contains("not a checkpoint"), "{err}");
    }
}
