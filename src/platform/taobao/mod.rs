//! Taobao TOP (protocol `taobao-top`): one router for taobao.*, tmall.*, alibaba.*, cainiao.*
//! ... APIs, system params in the URL, `sign` over every param; the user's `session` is a
//! token the app is given, not one it can refresh.

mod protocol;
#[cfg(feature = "tmc")]
pub mod tmc;
mod token;

pub use protocol::{Taobao, TaobaoSignMethod};
pub use token::TaobaoOAuth;

use super::builtin::{Builtin, Configured, Table};
use crate::error::Result;
use std::sync::Arc;

pub(crate) static BUILTIN: Builtin = Builtin {
    protocol: "taobao-top",
    platform: "taobao",
    keys: &["app_key", "app_secret", "sign_method", "session"],
    configure,
    push: None,
    path: protocol::path,
    // taobao.trades.sold.increment.get and the other increment APIs: "修改时间跨度不能大于一天".
    max_window: Some(std::time::Duration::from_secs(24 * 3600)),
};

fn configure(t: &Table<'_>) -> Result<Configured> {
    let method = t.parsed(
        "sign_method",
        "md5",
        "md5, hmac or hmac-sha256",
        TaobaoSignMethod::parse,
    )?;
    let (app_key, app_secret) = (t.need("app_key")?, t.need("app_secret")?);
    Ok(Configured {
        protocol: Arc::new(Taobao::new(app_key, app_secret, method)),
        user_token: t.static_token("session"),
        client_token: None,
        app_id: app_key.to_owned(),
        flow: Some(Arc::new(TaobaoOAuth {
            app_key: app_key.to_owned(),
            app_secret: app_secret.into(),
        })),
    })
}
