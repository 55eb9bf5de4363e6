//! The request log (`GET /__mock/requests`, `MockHandle::requests`): the newest requests,
//! bounded by count and by bytes, with credentials and personal values masked unless the config
//! keeps them (`[mock] request_log`, `request_log_bytes`, `log_secrets`).

use crate::http;
use std::borrow::Cow;
use std::collections::VecDeque;

/// One request as the mock saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recorded {
    pub platform: String,
    /// The API name, when the request matched one.
    pub api: Option<String>,
    pub method: String,
    pub path: String,
    /// The query's pairs; a credential's or a person's value as `***` unless the config keeps
    /// secrets (`[mock] log_secrets = true`).
    pub query: Vec<(String, String)>,
    /// The body, masked like the query; cut to `[mock] request_log_bytes` when it alone is
    /// larger.
    pub body: String,
    /// True when every check passed.
    pub verified: bool,
    /// The platform error code answered, if any.
    pub error: Option<String>,
    /// For a refused signature: the string the mock signed, secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_to_sign: Option<String>,
    /// The shop whose token the call carried, for a token issued to a named shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop: Option<String>,
}

/// The log's limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogLimits {
    /// Records kept (0 keeps none).
    pub count: usize,
    /// Bytes of queries and bodies kept.
    pub bytes: usize,
    /// Keep credentials and personal values as sent.
    pub keep_secrets: bool,
}

/// The newest requests and how many there were.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    requests: VecDeque<Recorded>,
    /// The bytes of query and body `requests` holds.
    bytes: usize,
    /// Every request recorded since the start or the last clear.
    seen: u64,
}

impl RequestLog {
    /// The kept requests, oldest first.
    pub fn requests(&self) -> impl Iterator<Item = &Recorded> {
        self.requests.iter()
    }

    pub fn seen(&self) -> u64 {
        self.seen
    }

    pub fn clear(&mut self) {
        *self = RequestLog::default();
    }

    /// Counts `record` and keeps it, letting the oldest go beyond the limits; a body larger
    /// than the bytes allowed alone is cut to fit.
    pub fn record(&mut self, mut record: Recorded, limits: &LogLimits) {
        self.seen += 1;
        if limits.count == 0 {
            return;
        }
        let room = limits.bytes.saturating_sub(query_size(&record));
        if record.body.len() > room {
            let mut end = room;
            while !record.body.is_char_boundary(end) {
                end -= 1;
            }
            record.body.truncate(end);
        }
        let size = size(&record);
        while !self.requests.is_empty()
            && (self.requests.len() >= limits.count || self.bytes + size > limits.bytes)
        {
            if let Some(old) = self.requests.pop_front() {
                self.bytes -= self::size(&old);
            }
        }
        self.bytes += size;
        self.requests.push_back(record);
    }
}

fn query_size(r: &Recorded) -> usize {
    r.query.iter().map(|(k, v)| k.len() + v.len()).sum()
}

fn size(r: &Recorded) -> usize {
    query_size(r) + r.body.len()
}

/// A request's query pairs and body as the log keeps them: a credential's or a person's value as
/// `***` unless `keep_secrets`.
pub(crate) fn kept(
    query: &str,
    body: &[u8],
    keep_secrets: bool,
) -> (Vec<(String, String)>, String) {
    let mut pairs = http::parse_form(query.as_bytes());
    let mut body = String::from_utf8_lossy(body).into_owned();
    if !keep_secrets {
        for (name, value) in &mut pairs {
            if opengate_redact::is_sensitive_name(name) {
                *value = "***".into();
            }
        }
        if let Cow::Owned(masked) = opengate_redact::mask(&body) {
            body = masked;
        }
    }
    (pairs, body)
}
