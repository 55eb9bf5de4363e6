//! Youzan (有赞云, protocol `youzan`): `/api/{name}/{version}` with the token in the query,
//! tokens from `/auth/token` (a tool app's silent grant, then the refresh token).

mod protocol;
mod token;

pub use protocol::Youzan;
pub use token::YouzanToken;

use super::{Builtin, Configured, Table};
use crate::error::Result;
use std::sync::Arc;

pub(crate) static BUILTIN: Builtin = Builtin {
    protocol: "youzan",
    platform: "youzan",
    keys: &["client_id", "client_secret", "grant_id"],
    configure,
};

fn configure(t: &Table<'_>) -> Result<Configured> {
    let provider = YouzanToken {
        client_id: t.need("client_id")?.to_owned(),
        client_secret: t.need("client_secret")?.into(),
        grant_id: t.need("grant_id")?.to_owned(),
    };
    Ok(Configured {
        protocol: Arc::new(Youzan),
        app_id: format!("{}/{}", provider.client_id, provider.grant_id),
        user_token: Some(Arc::new(provider)),
        client_token: None,
    })
}
