//! Lowering a platform's push messages: kinds checked, payload types named.

use super::fields::lower_fields;
use super::model::*;
use crate::diag::{Diagnostics, Pos};
use crate::names::{pascal, Namer};
use crate::spec::{self};
use std::collections::BTreeMap;

/// Names reserved in a generated `messages` module: the enum, and the prelude names its code
/// uses unqualified.
pub(super) const MESSAGE_RESERVED: &[&str] = &[
    "Message", "Option", "Some", "None", "String", "Vec", "Result",
];

/// Each platform's message kinds: unique kinds and names, payloads lowered like responses
/// (the payload struct and its nested types named after the variant).
pub(super) fn lower_messages(
    messages: &[spec::Message],
    platforms: &mut BTreeMap<String, Platform>,
    d: &mut Diagnostics,
) {
    let mut by_platform: BTreeMap<&str, Vec<&spec::Message>> = BTreeMap::new();
    for m in messages {
        if !platforms.contains_key(&m.platform) {
            d.push(
                &m.pos,
                format!(
                    "unknown platform `{}`: there is no `{}/platform.yaml`",
                    m.platform, m.platform
                ),
            );
            continue;
        }
        by_platform.entry(&m.platform).or_default().push(m);
    }
    for (platform, mut list) in by_platform {
        list.sort_by(|a, b| a.kind.value.cmp(&b.kind.value));
        let mut kinds: BTreeMap<&str, &Pos> = BTreeMap::new();
        let mut names: BTreeMap<&str, &Pos> = BTreeMap::new();
        let mut type_namer = Namer::with_reserved(MESSAGE_RESERVED);
        let mut out = Vec::new();
        for m in list {
            if let Some(first) = kinds.insert(&m.kind.value, &m.kind.pos) {
                d.push(
                    &m.kind.pos,
                    format!(
                        "duplicate message kind `{}` (first at {first})",
                        m.kind.value
                    ),
                );
                continue;
            }
            let name = &m.name.value;
            let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                d.push(
                    &m.name.pos,
                    format!("message name `{name}` must be snake case (lower-case letters, digits and `_`, starting with a letter)"),
                );
                continue;
            }
            if let Some(first) = names.insert(name, &m.name.pos) {
                d.push(
                    &m.name.pos,
                    format!("duplicate message name `{name}` (first at {first})"),
                );
                continue;
            }
            let variant = pascal(name);
            if MESSAGE_RESERVED.contains(&variant.as_str()) || variant == "Unknown" {
                d.push(
                    &m.name.pos,
                    format!("message name `{name}` is reserved in the generated module"),
                );
                continue;
            }
            let variant = type_namer.claim(variant);
            let mut types = Vec::new();
            let fields = m.payload.as_ref().map_or(&[][..], |p| &p.value[..]);
            let fields = lower_fields(fields, &variant, false, &mut type_namer, &mut types, d, &[]);
            out.push(Message {
                kind: m.kind.value.clone(),
                summary: m.summary.clone(),
                description: m.description.clone(),
                doc_url: m.doc_url.clone(),
                payload: StructIr {
                    ident: variant.clone(),
                    fields,
                },
                variant,
                types,
            });
        }
        if let Some(p) = platforms.get_mut(platform) {
            p.messages = out;
        }
    }
}
