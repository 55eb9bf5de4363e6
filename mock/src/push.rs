//! Push deliveries from the mock. `POST /__mock/push` (or [`crate::MockHandle::push`]) takes a
//! [`PushOrder`], builds the platform's envelope around its payload, signs it with the app's
//! secret from the mock's config (with the mock's own signing code, as for requests), and posts
//! it to the receiver; an answer the platform would not take as an acknowledgement makes it
//! deliver the same envelope again, as the platforms do, until `attempts` run out.

use crate::platform::gateway::{Envelope, Message};
use crate::MockGateway;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// One message for the mock to push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushOrder {
    /// The platform folder whose app receives it (`youzan`, `doudian`, ...).
    pub platform: String,
    /// Youzan's `type`, Doudian's `tag`, Douyin's `event`, 1688's `type`.
    pub kind: String,
    /// The message's payload, as the platform documents it for the kind.
    #[serde(default)]
    pub payload: Value,
    /// The receiver's URL.
    pub to: String,
    /// The message id; a fresh one when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The shop (Youzan `kdt_id`, Doudian `shop_id`, Douyin `from_user_id`, 1688 `userInfo`).
    #[serde(default)]
    pub shop: Option<String>,
    /// Youzan's envelope `status` (the order's state after the event).
    #[serde(default)]
    pub status: Option<String>,
    /// Sign with a wrong secret, as a forger would.
    #[serde(default)]
    pub forge: bool,
    /// Deliveries of one envelope before the mock gives up.
    #[serde(default = "five")]
    pub attempts: u32,
    /// The wait between deliveries (the platforms wait minutes; a test does not).
    #[serde(default = "interval")]
    pub interval_ms: u64,
    /// How many times the same envelope is sent after an acknowledgement, as when a platform
    /// never saw the acknowledgement: a receiver must handle it once.
    #[serde(default = "one")]
    pub copies: u32,
}

fn five() -> u32 {
    5
}

fn interval() -> u64 {
    100
}

fn one() -> u32 {
    1
}

/// What became of a [`PushOrder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushReport {
    /// Every copy was acknowledged.
    pub delivered: bool,
    /// The message id the envelope carried.
    pub id: String,
    /// Every answer in order; a delivery that got no answer has status 0 and the error.
    pub answers: Vec<PushAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushAnswer {
    pub status: u16,
    pub body: String,
    pub accepted: bool,
}

impl MockGateway {
    /// Builds, signs and delivers an order's envelope; an error says why nothing was sent.
    pub(crate) async fn push(&self, order: &PushOrder) -> Result<PushReport, String> {
        let protocol = self
            .catalog
            .folders()
            .find(|(name, _)| *name == order.platform)
            .map(|(_, protocol)| protocol.to_owned())
            .ok_or_else(|| format!("no platform folder `{}` in the specs", order.platform))?;
        let gateway = self
            .gateway(&protocol)
            .ok_or_else(|| format!("no gateway serves protocol `{protocol}`"))?;
        let id = order
            .id
            .clone()
            .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
        let message = Message {
            kind: &order.kind,
            id: &id,
            shop: order.shop.as_deref(),
            status: order.status.as_deref(),
            payload: &order.payload,
            forge: order.forge,
        };
        let envelope = gateway.envelope(self, &order.platform, &message)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let mut answers = Vec::new();
        let mut delivered = true;
        for _ in 0..order.copies.max(1) {
            let mut accepted = false;
            for attempt in 0..order.attempts.max(1) {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(order.interval_ms)).await;
                }
                let answer = post(&client, &order.to, &envelope).await;
                accepted = answer.accepted;
                answers.push(answer);
                if accepted {
                    break;
                }
            }
            delivered &= accepted;
        }
        Ok(PushReport {
            delivered,
            id,
            answers,
        })
    }
}

async fn post(client: &reqwest::Client, to: &str, e: &Envelope) -> PushAnswer {
    let mut req = client
        .post(to)
        .header("content-type", e.content_type)
        .body(e.body.clone());
    for (name, value) in &e.headers {
        req = req.header(*name, value);
    }
    let sent = async {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        Ok::<_, reqwest::Error>((status, resp.bytes().await?))
    };
    match sent.await {
        Ok((status, body)) => PushAnswer {
            status,
            accepted: (e.accepted)(status, &body),
            body: String::from_utf8_lossy(&body).into_owned(),
        },
        Err(err) => PushAnswer {
            status: 0,
            body: err.to_string(),
            accepted: false,
        },
    }
}
