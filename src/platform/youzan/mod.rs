//! Youzan (有赞云, protocol `youzan`): `/api/{name}/{version}` with the token in the query,
//! tokens from `/auth/token` (a tool app's silent grant, then the refresh token).

mod protocol;
mod push;
mod token;

pub use protocol::Youzan;
pub use push::YouzanPush;
pub use token::YouzanToken;

use super::builtin::{Builtin, Configured, Table};
use crate::error::Result;
use crate::push::PushRules;
use std::sync::Arc;

pub(crate) static BUILTIN: Builtin = Builtin {
    protocol: "youzan",
    platform: "youzan",
    keys: &["client_id", "client_secret", "grant_id"],
    configure,
    push: Some(push),
    path: protocol::path,
    max_window: None,
};

fn configure(t: &Table<'_>) -> Result<Configured> {
    let provider = Arc::new(YouzanToken {
        client_id: t.need("client_id")?.to_owned(),
        client_secret: t.need("client_secret")?.into(),
        // A self-use app's shop; a tool app has none, its shops authorize by code.
        grant_id: t.get("grant_id").map(str::to_owned),
    });
    // A self-use app's keys name its grant too, as they did before tool apps.
    let app_id = match &provider.grant_id {
        Some(grant) => format!("{}/{grant}", provider.client_id),
        None => provider.client_id.clone(),
    };
    Ok(Configured {
        protocol: Arc::new(Youzan),
        app_id,
        user_token: provider.grant_id.is_some().then(|| provider.clone() as _),
        client_token: None,
        flow: Some(provider),
    })
}

fn push(t: &Table<'_>) -> Result<Arc<dyn PushRules>> {
    Ok(Arc::new(YouzanPush::new(
        t.name,
        t.need("client_id")?,
        t.need("client_secret")?.into(),
    )))
}
