//! Tokens at rest: in clear, or sealed with AES-256-GCM under a key from the config
//! (`[client] token_store_key`, 64 hex digits). The store key is the associated data, so a sealed
//! token copied to another key does not open.

use super::provider::{Stored, Token};
use crate::error::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a store writes tokens.
#[derive(Clone, Default)]
pub enum Seal {
    /// In clear (JSON).
    #[default]
    None,
    /// Sealed with AES-256-GCM.
    Aes(Box<Aes256Gcm>),
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Seal::None => "Seal::None",
            Seal::Aes(_) => "Seal::Aes(***)",
        })
    }
}

/// One stored token as written: its version and the token, in clear or sealed (hex of the
/// 12-byte nonce and the ciphertext).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<Token>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
}

impl Entry {
    pub(crate) fn plain(version: u64, token: Token) -> Self {
        Entry {
            version,
            token: Some(token),
            sealed: None,
        }
    }
}

impl Seal {
    /// The key as 64 hex digits (32 bytes).
    pub fn from_hex(key: &str) -> Result<Self> {
        let bytes = hex::decode(key.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                Error::Config("token_store_key must be 64 hex digits (a 32-byte key)".into())
            })?;
        let cipher = Aes256Gcm::new_from_slice(&bytes)
            .map_err(|_| Error::Config("token_store_key must be a 32-byte key".into()))?;
        Ok(Seal::Aes(Box::new(cipher)))
    }

    fn error(key: &str, message: &str) -> Error {
        Error::Store {
            message: format!("token {key}: {message}"),
            source: None,
        }
    }

    pub(crate) fn close(&self, key: &str, version: u64, token: &Token) -> Result<Entry> {
        let Seal::Aes(cipher) = self else {
            return Ok(Entry::plain(version, token.clone()));
        };
        let clear = serde_json::to_vec(token).map_err(|e| Self::error(key, &e.to_string()))?;
        let nonce: [u8; 12] = rand::random();
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &clear,
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| Self::error(key, "cannot be sealed"))?;
        Ok(Entry {
            version,
            token: None,
            sealed: Some(hex::encode([&nonce[..], &sealed].concat())),
        })
    }

    pub(crate) fn open(&self, key: &str, entry: &Entry) -> Result<Stored> {
        let token = match (&entry.token, &entry.sealed, self) {
            // Written in clear before a key was set: read it; the next save seals it.
            (Some(token), _, _) => token.clone(),
            (None, Some(_), Seal::None) => {
                return Err(Self::error(
                    key,
                    "is sealed and no token_store_key is configured",
                ))
            }
            (None, Some(text), Seal::Aes(cipher)) => {
                let bytes = hex::decode(text)
                    .ok()
                    .filter(|b| b.len() > 12)
                    .ok_or_else(|| Self::error(key, "sealed value is malformed"))?;
                let (nonce, sealed) = bytes.split_at(12);
                let clear = cipher
                    .decrypt(
                        Nonce::from_slice(nonce),
                        Payload {
                            msg: sealed,
                            aad: key.as_bytes(),
                        },
                    )
                    .map_err(|_| {
                        Self::error(key, "sealed value does not open with the configured key")
                    })?;
                serde_json::from_slice(&clear)
                    .map_err(|_| Self::error(key, "sealed value is not a token"))?
            }
            (None, None, _) => return Err(Self::error(key, "entry holds no token")),
        };
        Ok(Stored {
            token,
            version: entry.version,
        })
    }
}
