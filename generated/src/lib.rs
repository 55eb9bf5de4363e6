//! Typed bindings generated from the YAML specs in `specs/`.
//!
//! ```no_run
//! use opengate_apis::ClientExt;
//! use opengate_apis::youzan::logistics_expressbyorderno_get_v3_0_0 as express;
//! # async fn run() -> opengate::Result<()> {
//! let client = opengate::Config::load(None)?
//!     .client_builder_for(opengate_apis::PLATFORMS)?
//!     .build()?;
//! let reply = client.youzan().logistics_expressbyorderno_get_v3_0_0(express::Request::new("E2024...")).await?;
//! println!("{:?}", reply.data);
//! # Ok(()) }
//! ```
//!
//! One module per platform (each behind a cargo feature of the same name), one
//! module per API version inside it, holding `Request`, `Response` and the
//! `API` descriptor.

#![allow(clippy::doc_markdown, clippy::large_enum_variant)]

include!(concat!(env!("OUT_DIR"), "/opengate_apis.rs"));

/// The README's Rust example, compiled as a doctest so that it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
