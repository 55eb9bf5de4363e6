//! 1688 (Alibaba Open Platform, protocol `alibaba-aop`): `param2/{version}/{namespace}/{name}/{appKey}`
//! signed with the URL path; user tokens refreshed at `system.oauth2/getToken`.

mod protocol;
mod push;
mod token;

pub use protocol::Aop;
pub use push::AopPush;
pub use token::{AopOAuth, AopToken};

use super::builtin::{Builtin, Configured, Table};
use crate::error::Result;
use crate::push::PushRules;
use crate::secret::Secret;
use crate::token::TokenProvider;
use std::sync::Arc;

pub(crate) static BUILTIN: Builtin = Builtin {
    protocol: "alibaba-aop",
    platform: "alibaba",
    keys: &["app_key", "app_secret", "access_token", "refresh_token"],
    configure,
    push: Some(push),
    path: protocol::path,
    max_window: None,
};

fn configure(t: &Table<'_>) -> Result<Configured> {
    let (app_key, app_secret) = (t.need("app_key")?, t.need("app_secret")?);
    let user_token = match t.get("refresh_token") {
        Some(rt) => Some(Arc::new(AopToken {
            app_key: app_key.to_owned(),
            app_secret: app_secret.into(),
            access_token: t.get("access_token").map(Secret::new),
            refresh_token: rt.into(),
        }) as Arc<dyn TokenProvider>),
        None => t.static_token("access_token"),
    };
    Ok(Configured {
        protocol: Arc::new(Aop::new(app_key, app_secret)),
        user_token,
        client_token: None,
        app_id: app_key.to_owned(),
        flow: Some(Arc::new(AopOAuth {
            app_key: app_key.to_owned(),
            app_secret: app_secret.into(),
        })),
    })
}

fn push(t: &Table<'_>) -> Result<Arc<dyn PushRules>> {
    Ok(Arc::new(AopPush::new(t.name, t.need("app_secret")?.into())))
}
