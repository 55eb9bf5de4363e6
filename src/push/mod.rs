//! Push messages: a delivery verified by the platform's rule, decoded into [`Push`] messages,
//! deduplicated, handed to the caller's handler, and answered the way the platform expects.
//!
//! Each platform's rule lives in its folder (`platform/<p>/push.rs`) behind [`PushRules`]; the
//! [`Receiver`] is the one path every delivery takes, whatever the platform or the server:
//!
//! 1. a body larger than the limit, or of a content type the platform never sends, is refused
//!    before it is read;
//! 2. [`PushRules::open`] checks the signature over the raw bytes (compared in constant time)
//!    and only then parses them;
//! 3. each message is claimed in the [`Dedup`] store by its key, handled, and marked done only
//!    after the handler succeeded;
//! 4. the answer is the platform's success body only when every message of the delivery was
//!    handled (now or before); otherwise its failure answer, so that it redelivers.
//!
//! Message ids are kept as the text the platform sent (an id above 2^53 is never read through
//! an `f64`). Payloads stay JSON text until a typed reader asks: the generated `messages`
//! module of each platform crate reads them into typed structs.

mod dedup;
mod receiver;
#[cfg(feature = "redis")]
mod redis_dedup;
mod rules;
#[cfg(feature = "tower")]
mod service;

pub use dedup::{Begin, Dedup, MemoryDedup};
pub use receiver::{BoxError, Handler, Receiver, ReceiverBuilder};
#[cfg(feature = "redis")]
pub use redis_dedup::RedisDedup;
#[cfg(feature = "tower")]
pub use service::ReceiverService;

pub(crate) use rules::{hex_matches, json_body, md5_hex, payload_of};
pub use rules::{Answer, Delivery, Opened, Push, PushRules, Refusal};
