//! Youzan pushes (PROTOCOLS.md 3.4): a JSON body signed by the `Event-Sign` header,
//! lower-hex MD5(client_id + raw body + client_secret); the legacy push signs in the body
//! instead, `sign` = MD5(client_id + msg + client_secret) over `msg` as received (URL-encoded).
//!
//! The envelope's `id` is the business object's id (an order's `tid`), shared by every
//! message about it, and `sendCount` grows with each redelivery: a message is identified by
//! shop, `type`, `id`, `status` and `version` (the event's time), none of which a redelivery
//! changes (docs/decisions.md, "Push messages"). The legacy push signs `msg` alone: there a
//! message is identified by its `msg`, and the envelope's other fields are unauthenticated
//! (docs/decisions.md, "Push messages").

use crate::push::{self, Answer, Delivery, Opened, Push, PushRules, Refusal};
use crate::secret::Secret;
use serde_json::Value;
use std::sync::Arc;

/// Youzan's push rules for one app.
#[derive(Debug)]
pub struct YouzanPush {
    platform: Arc<str>,
    client_id: String,
    client_secret: Secret,
}

impl YouzanPush {
    pub fn new(platform: &str, client_id: &str, client_secret: Secret) -> Self {
        YouzanPush {
            platform: platform.into(),
            client_id: client_id.to_owned(),
            client_secret,
        }
    }

    fn sign(&self, signed: &[u8]) -> String {
        push::md5_hex(&[
            self.client_id.as_bytes(),
            signed,
            self.client_secret.expose().as_bytes(),
        ])
    }
}

/// `msg` as received: URL-encoded JSON text (Java's encoder, `+` for a space).
fn url_decoded(msg: &str) -> String {
    let spaced = msg.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

impl PushRules for YouzanPush {
    fn platform(&self) -> &str {
        &self.platform
    }

    fn content_types(&self) -> &'static [&'static str] {
        &["application/json"]
    }

    fn open(&self, d: &Delivery<'_>) -> Result<Opened, Refusal> {
        if d.header("client-id").is_some_and(|id| id != self.client_id) {
            return Err(Refusal::OtherApp("Client-Id"));
        }
        let (body, legacy) = match d.header("event-sign") {
            Some(sign) => {
                if !push::hex_matches(sign, &self.sign(d.body)) {
                    return Err(Refusal::BadSignature("Event-Sign"));
                }
                (push::json_body(d.body)?, false)
            }
            // The legacy push: the signature is a member of the body, so the body is parsed
            // first, and nothing of it is used before `sign` matched.
            None => {
                let body = push::json_body(d.body).map_err(|_| Refusal::Unsigned("Event-Sign"))?;
                let (Some(Value::String(msg)), Some(Value::String(sign))) =
                    (body.get("msg"), body.get("sign"))
                else {
                    return Err(Refusal::Unsigned("Event-Sign"));
                };
                if !push::hex_matches(sign, &self.sign(msg.as_bytes())) {
                    return Err(Refusal::BadSignature("sign"));
                }
                (body, true)
            }
        };
        let Value::Object(m) = &body else {
            return Err(Refusal::Malformed("the body is not a JSON object".into()));
        };
        let field = |k: &str| crate::protocol::text_of(m.get(k));
        if field("client_id").is_some_and(|id| id != self.client_id) {
            return Err(Refusal::OtherApp("client_id"));
        }
        let kind = field("type").ok_or_else(|| Refusal::Malformed("no `type`".into()))?;
        let id = field("id").unwrap_or_default();
        let shop = field("kdt_id");
        let key = match (legacy, m.get("msg")) {
            // Only `msg` is signed: a captured push replayed with another shop, status or
            // version is the same message.
            (true, Some(Value::String(msg))) => format!("msg:{}", push::md5_hex(&[msg.as_bytes()])),
            _ => [
                shop.as_deref().unwrap_or(""),
                &kind,
                &id,
                &field("status").unwrap_or_default(),
                &field("version").unwrap_or_default(),
            ]
            .join(":"),
        };
        let payload = match m.get("msg") {
            Some(Value::String(msg)) => push::payload_of(Some(&Value::String(url_decoded(msg)))),
            other => push::payload_of(other),
        };
        Ok(Opened::Messages(vec![Push {
            platform: self.platform.clone(),
            kind,
            id,
            key,
            shop,
            test: matches!(m.get("test"), Some(Value::Bool(true))),
            payload,
        }]))
    }

    fn success(&self) -> Answer {
        Answer::json(200, r#"{"code":0,"msg":"success"}"#)
    }

    fn failure(&self) -> Answer {
        Answer::json(500, r#"{"code":1,"msg":"fail"}"#)
    }
}
