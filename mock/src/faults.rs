//! Faults the tests inject (`[[mock.faults]]`, `POST /__mock/faults`, `MockHandle::inject`):
//! what a platform or a network does on a bad day, on the next matching calls.

use crate::platform::gateway::Gateway;
use crate::{json_reply, MockGateway, Reply};
use std::time::Duration;

/// What a fault does.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer normally after a delay.
    Latency { ms: u64 },
    /// Answer with this HTTP status and a non-JSON body.
    Status { status: u16 },
    /// Reset the connection without answering.
    Reset,
    /// Send half of the answer and close.
    Truncate,
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Answer with the platform's rate-limit error.
    RateLimit,
    /// Answer with this HTTP status and this body, as given.
    Body { status: u16, body: String },
}

/// A fault for the next `times` matching requests.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Fault {
    /// API name to match (`None`: any API).
    #[serde(default)]
    pub api: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl MockGateway {
    pub(crate) fn take_fault(&self, api: &str) -> Option<FaultKind> {
        let mut live = self.lock();
        let i = live
            .faults
            .iter()
            .position(|f| f.api.as_deref().is_none_or(|a| a == api))?;
        let kind = live.faults[i].kind.clone();
        live.faults[i].times = live.faults[i].times.saturating_sub(1);
        if live.faults[i].times == 0 {
            live.faults.remove(i);
        }
        Some(kind)
    }
}

/// The reply a fault makes of the normal one.
pub(crate) fn fault_reply(gateway: Option<&dyn Gateway>, f: FaultKind, normal: Reply) -> Reply {
    match f {
        FaultKind::Latency { ms } => match normal {
            Reply::Json { status, body, .. } => Reply::Json {
                status,
                body,
                delay: Some(Duration::from_millis(ms)),
            },
            other => other,
        },
        FaultKind::Status { status } => Reply::Json {
            status,
            body: "<html>upstream error</html>".into(),
            delay: None,
        },
        FaultKind::Reset => Reply::Reset,
        FaultKind::Truncate => match normal {
            Reply::Json { status, body, .. } => Reply::Truncated { status, body },
            other => other,
        },
        FaultKind::Malformed => Reply::Json {
            status: 200,
            body: "{\"code\": 200, \"data\": {\"oops\": ".into(),
            delay: None,
        },
        FaultKind::RateLimit => match gateway {
            Some(g) => json_reply(200, &g.rate_limited()),
            None => normal,
        },
        FaultKind::Body { status, body } => Reply::Json {
            status,
            body,
            delay: None,
        },
    }
}
