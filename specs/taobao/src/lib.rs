#![doc = include_str!(concat!(env!("OUT_DIR"), "/taobao.md"))]
#![allow(clippy::doc_markdown, clippy::large_enum_variant)]

include!(concat!(env!("OUT_DIR"), "/taobao.rs"));
