//! Douyin (抖音开放平台 and 精选联盟, protocol `douyin`): JSON bodies with the token in the
//! `access-token` header; an app `client_token`, and user tokens refreshed with their refresh token.

mod protocol;
mod push;
mod token;

pub use protocol::Douyin;
pub use push::DouyinPush;
pub use token::{DouyinClientToken, DouyinOAuth, DouyinUserToken};

use super::builtin::{Builtin, Configured, Table};
use crate::error::Result;
use crate::push::PushRules;
use crate::secret::Secret;
use crate::token::{AuthorizationFlow, TokenProvider};
use std::sync::Arc;

pub(crate) static BUILTIN: Builtin = Builtin {
    protocol: "douyin",
    platform: "douyin",
    keys: &[
        "client_key",
        "client_secret",
        "access_token",
        "refresh_token",
        "scope",
    ],
    configure,
    push: Some(push),
    path: protocol::path,
    max_window: None,
};

fn configure(t: &Table<'_>) -> Result<Configured> {
    let client_token = match (t.get("client_key"), t.get("client_secret")) {
        (Some(k), Some(s)) => Some(Arc::new(DouyinClientToken {
            client_key: k.to_owned(),
            client_secret: s.into(),
        }) as Arc<dyn TokenProvider>),
        _ => None,
    };
    let user_token = match t.get("refresh_token") {
        Some(rt) => Some(Arc::new(DouyinUserToken {
            client_key: t.need("client_key")?.to_owned(),
            access_token: t.get("access_token").map(Secret::new),
            refresh_token: rt.into(),
        }) as Arc<dyn TokenProvider>),
        None => t.static_token("access_token"),
    };
    let flow = match (t.get("client_key"), t.get("client_secret")) {
        (Some(k), Some(s)) => Some(Arc::new(DouyinOAuth {
            client_key: k.to_owned(),
            client_secret: s.into(),
            scope: t.get("scope").unwrap_or("user_info").to_owned(),
        }) as Arc<dyn AuthorizationFlow>),
        _ => None,
    };
    Ok(Configured {
        protocol: Arc::new(Douyin),
        user_token,
        client_token,
        app_id: t.get("client_key").unwrap_or_default().to_owned(),
        flow,
    })
}

fn push(t: &Table<'_>) -> Result<Arc<dyn PushRules>> {
    Ok(Arc::new(DouyinPush::new(
        t.name,
        t.need("client_secret")?.into(),
    )))
}
