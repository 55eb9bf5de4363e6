//! One error type for every platform and every way a call can fail.

use std::fmt;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which API a failure concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiId {
    pub platform: String,
    pub name: String,
    pub version: String,
}

impl fmt::Display for ApiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.platform, self.name, self.version)
    }
}

/// What kind of failure a platform's answer is, as its protocol classified it: the same kinds
/// on every platform, so a caller need not know each platform's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The access token is invalid, expired or missing. The client refreshes it once and
    /// retries; this comes back when that did not help or the token cannot be refreshed.
    TokenRejected,
    /// Flow control: the call was not executed. The client retries after a backoff.
    RateLimited,
    /// A server-side transient failure (Taobao `isp.*`, Doudian 20000): the client retries it
    /// when the API is idempotent.
    PlatformDown,
    /// The params were refused: missing, malformed or out of range.
    InvalidParams,
    /// The app key, the signature or the timestamp was refused: the app's credentials, or the
    /// clock.
    SignatureRejected,
    /// The app or the user lacks the permission (or the caller's IP is not on the whitelist).
    PermissionDenied,
    /// Any other refusal: a business answer (no such order, wrong state...).
    Other,
}

/// A platform said no: its error envelope, as the platform sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    pub api: ApiId,
    /// The platform's error code (`27`, `4202`, `gw.QosAppFrequencyLimit`, `40003`...).
    pub code: String,
    pub sub_code: Option<String>,
    pub message: String,
    /// What kind of failure the protocol says this is.
    pub kind: ErrorKind,
    /// Request / trace / log id, when the platform sends one.
    pub request_id: Option<String>,
    pub http_status: u16,
    /// How long the platform says calls are blocked, when it says (Taobao's rate limits).
    pub retry_after: Option<std::time::Duration>,
}

/// The body could not be read as the spec's response type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    pub api: ApiId,
    /// Where in the body (e.g. `data.orders[3].price`); empty for the whole body.
    pub path: String,
    pub message: String,
    /// The start of the body, for diagnosis (at most 200 characters), with credentials and
    /// personal data masked.
    pub excerpt: String,
}

/// Everything that can go wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request never completed at the transport level (connect refused, reset, body cut
    /// short); [`std::error::Error::source`] is the transport's error.
    #[error("{api}: transport error")]
    #[non_exhaustive]
    Transport {
        api: ApiId,
        /// True when the connection was never made: the platform did not see the request.
        connect: bool,
        #[source]
        source: TransportError,
    },
    /// No answer within the timeout.
    #[error("{api}: timed out after {timeout_ms} ms")]
    #[non_exhaustive]
    Timeout { api: ApiId, timeout_ms: u64 },
    /// A non-success HTTP status without a recognisable platform error.
    #[error("{api}: HTTP status {status}: {excerpt}")]
    #[non_exhaustive]
    HttpStatus {
        api: ApiId,
        status: u16,
        excerpt: String,
        /// The answer's `Retry-After` header, as a wait.
        retry_after: Option<std::time::Duration>,
    },
    /// The platform's error envelope.
    #[error("{} error {}{}: {} ({})", .0.api.platform, .0.code, .0.sub_code.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default(), .0.message, .0.api)]
    Api(Box<ApiError>),
    /// The response is not what the spec says.
    #[error("{}: cannot decode response at `{}`: {} (body starts: {})", .0.api, .0.path, .0.message, .0.excerpt)]
    Decode(Box<DecodeError>),
    /// A token could not be obtained or refreshed; when the token endpoint could not be
    /// reached, [`std::error::Error::source`] is the transport's error.
    #[error("{platform}: auth error: {message}")]
    #[non_exhaustive]
    Auth {
        platform: String,
        message: String,
        #[source]
        source: Option<TransportError>,
    },
    /// The token store failed (Redis unreachable, a file that cannot be written, a sealed token
    /// that does not open); no token was lost, and the call can be made again.
    #[error("token store error: {message}")]
    #[non_exhaustive]
    Store {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The client is not set up for this call (unknown platform, missing credential...). Your
    /// own protocols and transports may return it too.
    #[error("configuration error: {0}")]
    Config(String),
    /// A run's checkpoint could not be read or written (`paging::Checkpoint`); the windows it
    /// shows done are done.
    #[error("checkpoint error: {message}")]
    #[non_exhaustive]
    Checkpoint {
        message: String,
        #[source]
        source: Option<std::io::Error>,
    },
    /// The request could not be built (params that do not serialize, a value over a limit...).
    #[error("{api}: cannot build request: {message}")]
    #[non_exhaustive]
    Build { api: ApiId, message: String },
}

impl Error {
    /// A [`Error::Build`] for `api`: what a protocol returns for a request it cannot build.
    pub fn build(api: &crate::ApiDesc, message: impl Into<String>) -> Self {
        Error::Build {
            api: ApiId {
                platform: api.platform.to_string(),
                name: api.name.to_string(),
                version: api.version.to_string(),
            },
            message: message.into(),
        }
    }

    /// The platform error, if this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }

    /// How long the platform said to wait before calling again, if it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::HttpStatus { retry_after, .. } => *retry_after,
            _ => self.api_error().and_then(|e| e.retry_after),
        }
    }

    /// What kind of failure the platform's answer was: the protocol's classification of a
    /// platform error; for an HTTP status without one, 5xx is [`ErrorKind::PlatformDown`] and
    /// 429 [`ErrorKind::RateLimited`]. `None` for failures that are not an answer (transport,
    /// timeout, decode, configuration).
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Api(e) => Some(e.kind),
            Error::HttpStatus { status, .. } if *status >= 500 => Some(ErrorKind::PlatformDown),
            Error::HttpStatus { status: 429, .. } => Some(ErrorKind::RateLimited),
            _ => None,
        }
    }

    /// True for timeouts.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// True for transport failures (connect, reset, truncated body).
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport { .. })
    }

    /// True for decode failures.
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode(_))
    }
}

/// An error and its sources, `: `-joined: what a program prints for a user (the cause of a
/// transport error is its `source()`, not part of its message).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// At most `n` characters of `bytes` as text, for error excerpts, with the values of members
/// named like credentials or personal data masked ([`crate::redact`]).
pub(crate) fn excerpt(bytes: &[u8], n: usize) -> String {
    // Masked before it is cut, so that no value is left half shown; a sensitive value longer
    // than what is read here is masked to the end of it.
    let head = &bytes[..bytes.len().min(n * 8)];
    let text = String::from_utf8_lossy(head);
    let masked = crate::redact::mask(&text);
    let mut out: String = masked.chars().take(n).collect();
    if masked.chars().count() > n || head.len() < bytes.len() {
        out.push('…');
    }
    out
}

/// How a transport failed. The text is the whole cause (reqwest's error and its sources).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection was never established: the server did not see the request.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// No complete answer within the timeout.
    #[error("no complete answer within the timeout")]
    Timeout,
    /// Anything after connecting: reset, truncated body. The server may have acted.
    #[error("{0}")]
    Io(String),
    /// The answer's body is larger than the client's cap ([`crate::ClientBuilder::max_body`]);
    /// reading stopped there.
    #[error("the answer is larger than the client's cap of {limit} bytes; reading stopped there")]
    TooLarge { limit: usize },
    /// The gateway answered with a redirect. None is followed: an open platform's gateway does not
    /// redirect API calls, and following one would carry the call's credentials to another host.
    /// `location` has its credentials masked.
    #[error("the gateway redirected (HTTP {status}) to `{location}`; redirects are not followed")]
    Redirect { status: u16, location: String },
}
