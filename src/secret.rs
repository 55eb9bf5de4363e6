//! Secrets that never show up in `Debug`, `Display`, errors or logs.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A secret string (app secret, access / refresh token). `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for signing and sending. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// Query keys whose values are credentials or signatures.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "session",
    "sign",
    "_aop_signature",
    "refresh_token",
    "client_secret",
    "app_secret",
    "code",
];

/// A URL with every credential and signature in its query replaced by `***`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if SECRET_KEYS.contains(&k) => format!("{k}=***"),
            _ => kv.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides() {
        assert_eq!(format!("{:?}", Secret::new("abc")), "\"***\"");
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("http://h/api/x/1?access_token=T0K&a=1&sign=ABC"),
            "http://h/api/x/1?access_token=***&a=1&sign=***"
        );
    }
}
