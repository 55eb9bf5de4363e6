//! One folder per protocol: how the mock routes a request to an API of that protocol and
//! verifies it as the platform does (its own signature code in `<p>/sign.rs`), its push
//! envelopes and its channels (Taobao's TMC). A protocol serves every platform folder that names it
//! (`specs/tmall` with `protocol: taobao-top` is served at `/router/rest` with `[tmall]`'s keys).

mod alibaba;
mod doudian;
mod douyin;
pub mod gateway;
mod taobao;
mod youzan;

/// Taobao's message service (TMC) on a WebSocket of its own.
pub use taobao::tmc;

pub(crate) use gateway::Gateway;
use std::sync::Arc;

/// In routing order: Douyin's explicit paths come before Youzan's `/api/...`, as some of them
/// (`/api/apps/...`) look like Youzan's; Doudian's `/{method path}` takes what is left.
pub(crate) fn builtins() -> Vec<Arc<dyn Gateway>> {
    vec![
        Arc::new(taobao::Top),
        Arc::new(alibaba::Aop),
        Arc::new(douyin::Douyin),
        Arc::new(youzan::Youzan),
        Arc::new(doudian::Doudian),
    ]
}

impl crate::MockHandle {
    /// Starts the channels of the platforms whose apps the config has (Taobao's TMC for a
    /// `[taobao]` app), each on a port of its own: each one's name and URL.
    pub async fn start_channels(&self) -> std::io::Result<Vec<(&'static str, String)>> {
        let mut started = Vec::new();
        if self.has_app("taobao") {
            started.push(("tmc", self.start_tmc().await?.url()));
        }
        Ok(started)
    }
}
