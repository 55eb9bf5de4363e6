#![doc = include_str!(concat!(env!("OUT_DIR"), "/taobao.md"))]
// The docs are the catalogs' prose, written for their doc pages, not for these lints.
#![allow(
    clippy::doc_markdown,
    clippy::doc_lazy_continuation,
    clippy::large_enum_variant
)]

include!(concat!(env!("OUT_DIR"), "/taobao.rs"));
