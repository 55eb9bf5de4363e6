//! Serving HTTP/1 on a listener open to anyone: what `opengate push listen` and the mock
//! gateway run, and what a program serving an opengate push receiver with hyper can run too
//! (the runtime re-exports this crate as `opengate::server`, feature `server`).
//!
//! A server that faces the internet meets clients that connect and never finish a request.
//! Without limits, 2,000 half-sent requests stayed open and, once the process ran out of file
//! descriptors, the accept loop spun at 100 % CPU. [`serve`] holds three limits:
//! - **a request's head** must arrive within [`ServerLimits::header_read_timeout`] (hyper's own
//!   timer), and its **body** may not stall longer than [`ServerLimits::body_read_timeout`]
//!   between two chunks ([`Body`]); either closes the connection;
//! - **at most [`ServerLimits::max_connections`]** are served at once: beyond that the loop stops
//!   accepting and new connections wait in the kernel's backlog;
//! - **an accept error** (out of descriptors, mostly) waits with backoff, 10 ms doubling to 1 s,
//!   before the next accept, so that the connections being served can finish and free some.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn StdError + Send + Sync>;

/// The limits of [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Connections served at once (default 1,024).
    pub max_connections: usize,
    /// How long a client has to send a request's head (default 10 s).
    pub header_read_timeout: Duration,
    /// How long a request's body may stall between two chunks (default 10 s).
    pub body_read_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
        }
    }
}

impl ServerLimits {
    /// The keys [`ServerLimits::from_keys`] reads, in a config's `[push]` or `[mock]` table.
    pub const KEYS: &'static [&'static str] = &[
        "max_connections",
        "header_read_timeout_ms",
        "body_read_timeout_ms",
    ];

    /// The limits a config table sets, the defaults for the rest; `get` reads the table's
    /// key, `table` names it in errors.
    pub fn from_keys<'a>(
        table: &str,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, String> {
        let number = |key: &str| -> Result<Option<u64>, String> {
            get(key)
                .map(|v| {
                    v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("[{table}] {key} must be a whole number >= 1, got `{v}`")
                    })
                })
                .transpose()
        };
        let mut limits = ServerLimits::default();
        if let Some(n) = number("max_connections")? {
            limits = limits.max_connections(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(ms) = number("header_read_timeout_ms")? {
            limits = limits.header_read_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = number("body_read_timeout_ms")? {
            limits = limits.body_read_timeout(Duration::from_millis(ms));
        }
        Ok(limits)
    }

    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
    pub fn header_read_timeout(mut self, t: Duration) -> Self {
        self.header_read_timeout = t;
        self
    }
    pub fn body_read_timeout(mut self, t: Duration) -> Self {
        self.body_read_timeout = t;
        self
    }
}

/// Serves every connection `listener` accepts, within `limits`, until the task is dropped.
/// `service` makes the service of one connection; it sees the socket (for its address or
/// options) before hyper takes it.
pub async fn serve<F, S, B>(listener: TcpListener, limits: ServerLimits, mut service: F)
where
    F: FnMut(&TcpStream) -> S,
    S: hyper::service::Service<http::Request<Body>, Response = http::Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut failures = 0u32;
    loop {
        // The semaphore is never closed.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                failures = 0;
                stream
            }
            Err(error) => {
                failures += 1;
                let wait = accept_backoff(failures);
                tracing::warn!(%error, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "accept failed; waiting");
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        // Answers are one write; a kept-alive client must not wait on Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let inner = service(&stream);
        let stall = limits.body_read_timeout;
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            inner.call(request.map(|body| Body::new(body, stall)))
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let io = hyper_util::rt::TokioIo::new(stream);
        tokio::spawn(async move {
            let _ = http.serve_connection(io, service).await;
            drop(slot);
        });
    }
}

/// How long to wait after the `failures`-th accept error in a row: 10 ms doubling to 1 s.
fn accept_backoff(failures: u32) -> Duration {
    Duration::from_millis(10)
        .saturating_mul(1 << failures.saturating_sub(1).min(7))
        .min(Duration::from_secs(1))
}

/// A request's body under [`serve`]: the connection's body, failing when it stalls longer than
/// [`ServerLimits::body_read_timeout`] between two chunks.
pub struct Body {
    inner: Incoming,
    stall: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Body {
    fn new(inner: Incoming, stall: Duration) -> Self {
        Body {
            inner,
            stall,
            deadline: Box::pin(tokio::time::sleep(stall)),
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("stall", &self.stall)
            .finish_non_exhaustive()
    }
}

/// A body that stalled past [`ServerLimits::body_read_timeout`].
#[derive(Debug, thiserror::Error)]
#[error("the request body stalled for more than {0:?}")]
pub struct BodyStalled(pub Duration);

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = tokio::time::Instant::now() + this.stall;
                this.deadline.as_mut().reset(next);
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(this.stall))))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
