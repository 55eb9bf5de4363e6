//! The one path of every delivery: limits, verification, dedup, the handler, the answer.

use super::dedup::{Begin, Dedup, MemoryDedup};
use super::rules::{Answer, Delivery, Opened, Push, PushRules, Refusal};
use crate::wire::BoxFuture;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A handler's error: whatever it was, the platform is answered with its failure answer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the receiver calls for each new message. Implemented for every
/// `Fn(Push) -> impl Future<Output = Result<(), E>>`, so a closure or an `async fn` will do.
pub trait Handler: Send + Sync {
    fn handle(&self, push: Push) -> BoxFuture<'static, Result<(), BoxError>>;
}

impl<F, Fut, E> Handler for F
where
    F: Fn(Push) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn handle(&self, push: Push) -> BoxFuture<'static, Result<(), BoxError>> {
        let fut = self(push);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

/// Verifies, deduplicates and hands on the pushes of one platform; see the module docs.
/// Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
}

struct Inner {
    rules: Arc<dyn PushRules>,
    dedup: Arc<dyn Dedup>,
    handler: Arc<dyn Handler>,
    max_body: usize,
    lease: Duration,
    keep: Duration,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("rules", &self.inner.rules)
            .field("dedup", &self.inner.dedup)
            .field("max_body", &self.inner.max_body)
            .field("lease", &self.inner.lease)
            .field("keep", &self.inner.keep)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Receiver`].
#[derive(Debug)]
pub struct ReceiverBuilder {
    rules: Arc<dyn PushRules>,
    dedup: Option<Arc<dyn Dedup>>,
    max_body: usize,
    lease: Duration,
    keep: Duration,
}

impl ReceiverBuilder {
    /// Where handled message keys are kept: [`MemoryDedup`] by default; a `RedisDedup`
    /// (feature `redis`) shares them across a fleet.
    pub fn dedup(mut self, dedup: Arc<dyn Dedup>) -> Self {
        self.dedup = Some(dedup);
        self
    }

    /// The largest body accepted (default 2 MiB); a larger one is answered 413 unread.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How long a handler may run (default 60 s): its claim on the message lasts as long, and
    /// a handler still running then is stopped and counts as failed.
    pub fn handler_timeout(mut self, t: Duration) -> Self {
        self.lease = t.max(Duration::from_millis(1));
        self
    }

    /// How long a handled message is remembered (default 3 days, longer than the platforms'
    /// redelivery schedules).
    pub fn remember(mut self, t: Duration) -> Self {
        self.keep = t;
        self
    }

    /// The receiver calling `handler` for each new message.
    pub fn build(self, handler: impl Handler + 'static) -> Receiver {
        Receiver {
            inner: Arc::new(Inner {
                rules: self.rules,
                dedup: self.dedup.unwrap_or_else(|| Arc::new(MemoryDedup::new())),
                handler: Arc::new(handler),
                max_body: self.max_body,
                lease: self.lease,
                keep: self.keep,
            }),
        }
    }
}

/// The default body limit: Doudian batches several messages per delivery; 2 MiB is far above
/// any batch seen and far below what would hurt a server.
const MAX_BODY: usize = 2 << 20;

impl Receiver {
    pub fn builder(rules: Arc<dyn PushRules>) -> ReceiverBuilder {
        ReceiverBuilder {
            rules,
            dedup: None,
            max_body: MAX_BODY,
            lease: Duration::from_secs(60),
            keep: Duration::from_secs(3 * 24 * 3600),
        }
    }

    pub fn rules(&self) -> &Arc<dyn PushRules> {
        &self.inner.rules
    }

    pub fn max_body(&self) -> usize {
        self.inner.max_body
    }

    /// What can be refused from the head alone: the announced length and the content type.
    pub fn check_head(&self, headers: &http::HeaderMap) -> Result<(), Refusal> {
        let length = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if length.is_some_and(|n| n > self.inner.max_body as u64) {
            return Err(Refusal::TooLarge {
                limit: self.inner.max_body,
            });
        }
        let expected = self.inner.rules.content_types();
        let found = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = found
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !expected.contains(&essence.as_str()) {
            return Err(Refusal::ContentType {
                expected: expected.first().copied().unwrap_or("application/json"),
                found: if found.is_empty() {
                    "(none)".into()
                } else {
                    found.chars().take(64).collect()
                },
            });
        }
        Ok(())
    }

    /// Handles one delivery and gives the answer for the platform.
    pub async fn receive(&self, delivery: Delivery<'_>) -> Answer {
        match self.check_head(delivery.headers) {
            Ok(()) => self.receive_checked(delivery).await,
            Err(refusal) => self.refused(&refusal),
        }
    }

    /// The answer to a refused delivery, logged with why (never with its bytes).
    pub(crate) fn refused(&self, refusal: &Refusal) -> Answer {
        tracing::warn!(platform = self.inner.rules.platform(), %refusal, "push refused");
        Answer::refusal(refusal)
    }

    /// [`Receiver::receive`] of a delivery whose head passed [`Receiver::check_head`].
    pub(crate) async fn receive_checked(&self, delivery: Delivery<'_>) -> Answer {
        let rules = &self.inner.rules;
        let opened = if delivery.body.len() > self.inner.max_body {
            Err(Refusal::TooLarge {
                limit: self.inner.max_body,
            })
        } else {
            rules.open(&delivery)
        };
        let messages = match opened {
            Ok(Opened::Messages(m)) => m,
            Ok(Opened::Handshake(answer)) => return answer,
            Err(refusal) => return self.refused(&refusal),
        };
        let mut all_handled = true;
        for push in messages {
            all_handled &= self.handle_message(push).await;
        }
        if all_handled {
            rules.success()
        } else {
            rules.failure()
        }
    }

    /// One message decoded elsewhere (a TMC data frame): deduplicated, handed to the handler
    /// under its timeout; whether it is handled now (or was before), so that the caller
    /// acknowledges it only then.
    pub async fn handle_message(&self, push: Push) -> bool {
        let inner = &self.inner;
        let owner = format!("{:016x}", rand::random::<u64>());
        let key = format!("{}:{}", push.platform, push.key);
        match inner.dedup.begin(&key, &owner, inner.lease).await {
            Ok(Begin::New) => {}
            Ok(Begin::Done) => {
                tracing::debug!(platform = %push.platform, kind = %push.kind, id = %push.id, "push already handled");
                return true;
            }
            Ok(Begin::Busy) => {
                tracing::debug!(platform = %push.platform, kind = %push.kind, id = %push.id, "push being handled elsewhere");
                return false;
            }
            Err(e) => {
                tracing::warn!(platform = %push.platform, kind = %push.kind, id = %push.id, error = %e, "push dedup failed");
                return false;
            }
        }
        let (platform, kind, id) = (push.platform.clone(), push.kind.clone(), push.id.clone());
        // On a task of its own: a panicking handler fails this message, not the server.
        let mut task = tokio::spawn(inner.handler.handle(push));
        let outcome = match tokio::time::timeout(inner.lease, &mut task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(e.to_string()),
            Ok(Err(join)) => Err(format!("the handler panicked: {join}")),
            Err(_) => {
                task.abort();
                Err(format!("the handler ran longer than {:?}", inner.lease))
            }
        };
        match outcome {
            Ok(()) => match inner.dedup.finish(&key, inner.keep).await {
                Ok(()) => true,
                Err(e) => {
                    // Handled, but not remembered: a redelivery would handle it again, so
                    // say so loudly rather than answer failure and invite exactly that.
                    tracing::error!(%platform, %kind, %id, error = %e, "push handled but not marked done");
                    true
                }
            },
            Err(error) => {
                tracing::warn!(%platform, %kind, %id, %error, "push handler failed; the platform will redeliver");
                if let Err(e) = inner.dedup.abandon(&key, &owner).await {
                    tracing::warn!(%platform, %kind, %id, error = %e, "push claim not released; it lapses with its lease");
                }
                false
            }
        }
    }
}
