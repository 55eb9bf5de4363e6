//! Where tokens are kept between calls and processes.

use super::Token;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex as StdMutex;

/// Keeps tokens across processes. Keys look like `youzan/<client_id>/<grant_id>`.
pub trait TokenStore: Send + Sync + fmt::Debug {
    fn load(&self, key: &str) -> Result<Option<Token>>;
    fn save(&self, key: &str, token: &Token) -> Result<()>;
}

/// Tokens in memory (the default).
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: StdMutex<BTreeMap<String, Token>>,
}

impl TokenStore for MemoryStore {
    fn load(&self, key: &str) -> Result<Option<Token>> {
        Ok(self
            .tokens
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?
            .get(key)
            .cloned())
    }
    fn save(&self, key: &str, token: &Token) -> Result<()> {
        self.tokens
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?
            .insert(key.to_owned(), token.clone());
        Ok(())
    }
}

/// Tokens in a JSON file, written atomically: write a temporary file, fsync it,
/// rename it over the old one, fsync the folder. A crash at any point leaves
/// either the old file or the new one, never a torn one, so a rotated refresh
/// token (Youzan retires the old one at once) is never lost.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock: StdMutex<()>,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            path: path.into(),
            lock: StdMutex::new(()),
        }
    }

    fn read_all(&self) -> Result<BTreeMap<String, Token>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::Config(format!(
                    "token file {} is not valid: {e}",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::Config(format!(
                "cannot read token file {}: {e}",
                self.path.display()
            ))),
        }
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &str) -> Result<Option<Token>> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?;
        Ok(self.read_all()?.remove(key))
    }

    fn save(&self, key: &str, token: &Token) -> Result<()> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?;
        let mut all = self.read_all()?;
        all.insert(key.to_owned(), token.clone());
        let io = |e: std::io::Error| {
            Error::Config(format!(
                "cannot write token file {}: {e}",
                self.path.display()
            ))
        };
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
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
            let text = serde_json::to_vec_pretty(&all).map_err(|e| Error::Config(e.to_string()))?;
            f.write_all(&text).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}
