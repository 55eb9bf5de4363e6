//! One folder per protocol: how the mock routes a request to an API of that protocol and
//! verifies it as the platform does (its own signature code in `<p>/sign.rs`), its push
//! envelopes and its channels (Taobao's TMC). A protocol serves every platform folder that names it
//! (`specs/tmall` with `protocol: taobao-top` is served at `/router/rest` with `[tmall]`'s keys).

mod alibaba;
mod doudian;
mod douyin;
pub(crate) mod gateway;
mod taobao;
mod youzan;

/// Taobao's message service (TMC) on a WebSocket of its own.
pub use taobao::tmc;

pub(crate) use gateway::Gateway;

/// In routing order: Douyin's explicit paths come before Youzan's `/api/...`, as some of them
/// (`/api/apps/...`) look like Youzan's; Doudian's `/{method path}` takes what is left.
pub(crate) const GATEWAYS: &[&dyn Gateway] = &[
    &taobao::Top,
    &alibaba::Aop,
    &douyin::Douyin,
    &youzan::Youzan,
    &doudian::Doudian,
];

/// The `code` of a successful answer of `protocol` ([`Gateway::success_code`]).
pub(crate) fn success_code(protocol: &str) -> i64 {
    GATEWAYS
        .iter()
        .find(|g| g.protocol() == protocol)
        .map_or(0, |g| g.success_code())
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
