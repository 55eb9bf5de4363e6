//! The built-in platforms, one folder each (`src/platform/<p>/`): its protocol (build and sign a
//! call, read the envelope), its token providers, its push rules and its config table. This file
//! is their registry.
//!
//! A platform folder in `specs/` names its protocol (`protocol: taobao-top`) and [`builtin`]
//! finds the code by that name, so a second folder of a known protocol (`specs/tmall`) needs no
//! code: its config table `[tmall]` takes the same keys as `[taobao]`.

pub mod alibaba;
mod builtin;
pub mod doudian;
pub mod douyin;
pub mod taobao;
pub mod youzan;

pub(crate) use builtin::Table;
pub use builtin::{Builtin, COMMON_KEYS};

/// Every built-in protocol.
pub const BUILTINS: &[&Builtin] = &[
    &youzan::BUILTIN,
    &taobao::BUILTIN,
    &alibaba::BUILTIN,
    &douyin::BUILTIN,
    &doudian::BUILTIN,
];

/// The built-in protocol of this name (`taobao-top`, `youzan`, `alibaba-aop`, `douyin`, `doudian`).
pub fn builtin(protocol: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().copied().find(|b| b.protocol == protocol)
}

/// The built-in protocol whose shipped platform has this name (`taobao` gives `taobao-top`).
pub fn builtin_for_platform(platform: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().copied().find(|b| b.platform == platform)
}

/// The longest window a built-in platform's incremental list APIs take, where its docs say
/// (Taobao's increment APIs: a day), for [`paging::Windows`](crate::paging::Windows). The other
/// built-in platforms state no window limit for their list APIs: the caller chooses one.
pub fn max_window(platform: &str) -> Option<std::time::Duration> {
    builtin_for_platform(platform)?.max_window
}
