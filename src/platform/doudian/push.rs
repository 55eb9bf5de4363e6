//! Doudian pushes (PROTOCOLS.md 5.4): a JSON array of `{tag, msg_id, data}` with `data` JSON
//! text, signed by the `event-sign` header, lower-hex MD5(app_key + raw body + app_secret).
//! Tag `0` is the console's verification ping, answered success without a handler. `msg_id`
//! identifies a message across redeliveries.

use crate::push::{self, Answer, Delivery, Opened, Push, PushRules, Refusal};
use crate::secret::Secret;
use serde_json::Value;
use std::sync::Arc;

/// Doudian's push rules for one app.
#[derive(Debug)]
pub struct DoudianPush {
    platform: Arc<str>,
    app_key: String,
    app_secret: Secret,
}

impl DoudianPush {
    pub fn new(platform: &str, app_key: &str, app_secret: Secret) -> Self {
        DoudianPush {
            platform: platform.into(),
            app_key: app_key.to_owned(),
            app_secret,
        }
    }
}

impl PushRules for DoudianPush {
    fn platform(&self) -> &str {
        &self.platform
    }

    fn content_types(&self) -> &'static [&'static str] {
        &["application/json"]
    }

    fn open(&self, d: &Delivery<'_>) -> Result<Opened, Refusal> {
        let sign = d
            .header("event-sign")
            .ok_or(Refusal::Unsigned("event-sign"))?;
        let expected = push::md5_hex(&[
            self.app_key.as_bytes(),
            d.body,
            self.app_secret.expose().as_bytes(),
        ]);
        if !push::hex_matches(sign, &expected) {
            return Err(Refusal::BadSignature("event-sign"));
        }
        if d.header("app-id").is_some_and(|id| id != self.app_key) {
            return Err(Refusal::OtherApp("app-id"));
        }
        let Value::Array(items) = push::json_body(d.body)? else {
            return Err(Refusal::Malformed("the body is not a JSON array".into()));
        };
        let mut messages = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let field = |k: &str| crate::protocol::text_of(item.get(k));
            let kind = field("tag")
                .ok_or_else(|| Refusal::Malformed(format!("message {i} has no `tag`")))?;
            if kind == "0" {
                continue;
            }
            let id = field("msg_id")
                .ok_or_else(|| Refusal::Malformed(format!("message {i} has no `msg_id`")))?;
            let payload = push::payload_of(item.get("data"));
            let shop = serde_json::from_slice::<Value>(&payload)
                .ok()
                .and_then(|p| crate::protocol::text_of(p.get("shop_id")));
            messages.push(Push {
                platform: self.platform.clone(),
                key: format!("{kind}:{id}"),
                kind,
                id,
                shop,
                test: false,
                payload,
            });
        }
        if messages.is_empty() && !items.is_empty() {
            return Ok(Opened::Handshake(self.success()));
        }
        Ok(Opened::Messages(messages))
    }

    fn success(&self) -> Answer {
        Answer::json(200, r#"{"code":0,"msg":"success"}"#)
    }

    fn failure(&self) -> Answer {
        Answer::json(200, r#"{"code":1,"msg":"fail"}"#)
    }
}
