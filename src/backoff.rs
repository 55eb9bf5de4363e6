//! The one backoff rule of the client's retries, the shared rate limit's outages and TMC's
//! reconnects.

use std::time::Duration;

/// Exponential backoff with jitter after attempt number `attempt` (from 1): `initial` doubled
/// per attempt up to `max`, then between half of that and all of it. The retries' and TMC's
/// reconnects' one rule.
pub(crate) fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(max);
    let jitter: f64 = rand::random::<f64>();
    cap.mul_f64(0.5 + jitter / 2.0)
}
