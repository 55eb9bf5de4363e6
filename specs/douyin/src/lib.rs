#![doc = include_str!(concat!(env!("OUT_DIR"), "/douyin.md"))]
#![allow(clippy::doc_markdown, clippy::large_enum_variant)]

include!(concat!(env!("OUT_DIR"), "/douyin.rs"));
