//! Doudian (抖店, protocol `doudian`): `/{method path}` with `param_json` signed in canonical
//! form; a self-use app's tokens come from the gateway's own `token.create` / `token.refresh`.

mod protocol;
mod push;
mod token;

pub use protocol::{canonical_json, Doudian, DoudianSignMethod};
pub use push::DoudianPush;
pub use token::{DoudianOAuth, DoudianToken};

use super::builtin::{Builtin, Configured, Table};
use crate::error::Result;
use crate::push::PushRules;
use crate::token::TokenProvider;
use std::sync::Arc;

pub(crate) static BUILTIN: Builtin = Builtin {
    protocol: "doudian",
    platform: "doudian",
    keys: &[
        "app_key",
        "app_secret",
        "sign_method",
        "access_token",
        "shop_id",
        "service_id",
    ],
    configure,
    push: Some(push),
    path: protocol::path,
    max_window: None,
};

fn configure(t: &Table<'_>) -> Result<Configured> {
    let method = t.parsed(
        "sign_method",
        "hmac-sha256",
        "md5 or hmac-sha256",
        DoudianSignMethod::parse,
    )?;
    let app_key = t.need("app_key")?;
    let protocol = Doudian::new(app_key, t.need("app_secret")?, method);
    let user_token = match (t.get("access_token"), t.get("shop_id")) {
        (Some(_), _) => t.static_token("access_token"),
        (None, Some(shop)) => Some(Arc::new(DoudianToken {
            protocol: protocol.clone(),
            shop_id: shop.to_owned(),
        }) as Arc<dyn TokenProvider>),
        (None, None) => None,
    };
    let flow = Arc::new(DoudianOAuth {
        protocol: protocol.clone(),
        service_id: t.get("service_id").map(str::to_owned),
    });
    Ok(Configured {
        protocol: Arc::new(protocol),
        user_token,
        client_token: None,
        app_id: app_key.to_owned(),
        flow: Some(flow),
    })
}

fn push(t: &Table<'_>) -> Result<Arc<dyn PushRules>> {
    Ok(Arc::new(DoudianPush::new(
        t.name,
        t.need("app_key")?,
        t.need("app_secret")?.into(),
    )))
}
