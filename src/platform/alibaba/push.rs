//! 1688 message pushes (PUSH.md): form params (POST body or query) `msgId`, `type`, `data`
//! (JSON text), `userInfo`, `gmtBorn`, or the legacy `message` (all of them as one JSON
//! object), signed by `_aop_signature` = upper-hex HMAC-SHA1(app_secret, the sorted `key+value`
//! strings): the API signature without its URL path. `msgId` identifies a message.

use super::protocol::Aop;
use crate::push::{self, Answer, Delivery, Opened, Push, PushRules, Refusal};
use crate::secret::Secret;
use serde_json::Value;
use std::sync::Arc;

/// 1688's push rules for one app.
#[derive(Debug)]
pub struct AopPush {
    platform: Arc<str>,
    app_secret: Secret,
}

impl AopPush {
    pub fn new(platform: &str, app_secret: Secret) -> Self {
        AopPush {
            platform: platform.into(),
            app_secret,
        }
    }
}

impl PushRules for AopPush {
    fn platform(&self) -> &str {
        &self.platform
    }

    fn content_types(&self) -> &'static [&'static str] {
        &["application/x-www-form-urlencoded"]
    }

    fn open(&self, d: &Delivery<'_>) -> Result<Opened, Refusal> {
        let mut params: Vec<(String, String)> =
            form_urlencoded::parse(d.query.unwrap_or("").as_bytes())
                .chain(form_urlencoded::parse(d.body))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let at = params
            .iter()
            .position(|(k, _)| k == "_aop_signature")
            .ok_or(Refusal::Unsigned("_aop_signature"))?;
        let (_, sign) = params.remove(at);
        if !push::hex_matches(&sign, &Aop::sign(self.app_secret.expose(), "", &params)) {
            return Err(Refusal::BadSignature("_aop_signature"));
        }
        let mut fields: serde_json::Map<String, Value> = params
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        if let Some(Value::String(message)) = fields.remove("message") {
            match serde_json::from_str::<Value>(&message) {
                Ok(Value::Object(m)) => fields.extend(m),
                _ => return Err(Refusal::Malformed("`message` is not a JSON object".into())),
            }
        }
        let field = |k: &str| crate::protocol::text_of(fields.get(k));
        let kind = field("type").ok_or_else(|| Refusal::Malformed("no `type`".into()))?;
        let id = field("msgId").ok_or_else(|| Refusal::Malformed("no `msgId`".into()))?;
        Ok(Opened::Messages(vec![Push {
            platform: self.platform.clone(),
            key: id.clone(),
            kind,
            id,
            shop: field("userInfo"),
            test: false,
            payload: push::payload_of(fields.get("data")),
        }]))
    }

    fn success(&self) -> Answer {
        Answer::json(200, r#"{"success":true}"#)
    }

    fn failure(&self) -> Answer {
        Answer::json(500, r#"{"success":false}"#)
    }
}
