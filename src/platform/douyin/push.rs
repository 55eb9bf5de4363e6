//! Douyin webhooks (PUSH.md): a JSON body `{event, from_user_id, to_user_id, client_key,
//! content}` signed by `X-Douyin-Signature`, hex SHA-1(client_secret + raw body). The
//! `verify_webhook` event is answered by echoing its `challenge`. The docs dedup on the `Msg-Id`
//! header ("同一实体下同一action的msg_id相同"; a body without it falls back to the event's
//! `log_id`), but the signature does not cover headers, so the dedup key is made of signed
//! content instead: the event, its user and a digest of its `content`, the same entity and
//! action. `log_id` (a log id, possibly new per attempt) is left out.

use crate::push::{self, Answer, Delivery, Opened, Push, PushRules, Refusal};
use crate::secret::Secret;
use serde_json::Value;
use sha1::{Digest, Sha1};
use std::sync::Arc;

/// Douyin's webhook rules for one app.
#[derive(Debug)]
pub struct DouyinPush {
    platform: Arc<str>,
    client_secret: Secret,
}

impl DouyinPush {
    pub fn new(platform: &str, client_secret: Secret) -> Self {
        DouyinPush {
            platform: platform.into(),
            client_secret,
        }
    }
}

impl PushRules for DouyinPush {
    fn platform(&self) -> &str {
        &self.platform
    }

    fn content_types(&self) -> &'static [&'static str] {
        &["application/json"]
    }

    fn open(&self, d: &Delivery<'_>) -> Result<Opened, Refusal> {
        let sign = d
            .header("x-douyin-signature")
            .ok_or(Refusal::Unsigned("X-Douyin-Signature"))?;
        let mut h = Sha1::new();
        h.update(self.client_secret.expose().as_bytes());
        h.update(d.body);
        if !push::hex_matches(sign, &hex::encode(h.finalize())) {
            return Err(Refusal::BadSignature("X-Douyin-Signature"));
        }
        let body = push::json_body(d.body)?;
        let Value::Object(m) = &body else {
            return Err(Refusal::Malformed("the body is not a JSON object".into()));
        };
        let field = |k: &str| crate::protocol::text_of(m.get(k));
        let kind = field("event").ok_or_else(|| Refusal::Malformed("no `event`".into()))?;
        let payload = push::payload_of(m.get("content"));
        if kind == "verify_webhook" {
            // The challenge echoed as sent (a number), read from the content's JSON text.
            let content: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
            let challenge = content
                .get("challenge")
                .cloned()
                .ok_or_else(|| Refusal::Malformed("verify_webhook without `challenge`".into()))?;
            let answer = serde_json::json!({ "challenge": challenge });
            return Ok(Opened::Handshake(Answer::json(200, answer.to_string())));
        }
        let id = d
            .header("msg-id")
            .map(str::to_owned)
            .or_else(|| field("log_id"))
            .ok_or(Refusal::Malformed(
                "no `Msg-Id` header and no `log_id`".into(),
            ))?;
        let user = field("from_user_id");
        let content = hex::encode(Sha1::digest(&payload));
        Ok(Opened::Messages(vec![Push {
            platform: self.platform.clone(),
            key: format!("{kind}:{}:{content}", user.as_deref().unwrap_or_default()),
            kind,
            id,
            // The account the event is about: the user who authorized the app.
            shop: user,
            test: false,
            payload,
        }]))
    }

    fn success(&self) -> Answer {
        Answer::json(200, r#"{"err_no":0,"err_tips":"success"}"#)
    }

    fn failure(&self) -> Answer {
        Answer::json(500, r#"{"err_no":1,"err_tips":"fail"}"#)
    }
}
