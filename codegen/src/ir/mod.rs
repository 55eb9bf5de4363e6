//! The validated IR: every name resolved to a distinct Rust identifier, every
//! reference checked. Emitting from it cannot fail.

mod api;
mod fields;
mod messages;
mod model;
mod paging;

pub use model::*;

use api::*;
use messages::*;

use crate::diag::{Diagnostics, Pos};
use crate::names::{escape, pascal, Namer};
use crate::spec;
use std::collections::BTreeMap;

/// Validates a loaded corpus and resolves all names. Returns every problem at once.
pub fn lower(corpus: &spec::Corpus) -> Result<Corpus, Diagnostics> {
    let mut d = Diagnostics::default();
    let mut platforms: BTreeMap<String, Platform> = BTreeMap::new();
    let mut seen_platform: BTreeMap<String, Pos> = BTreeMap::new();

    for p in &corpus.platforms {
        if p.name.value != p.folder {
            d.push(
                &p.name.pos,
                format!(
                    "platform `{}` is in folder `{}`: the name must match its folder",
                    p.name.value, p.folder
                ),
            );
        }
        if let Some(first) = seen_platform.get(&p.folder) {
            d.push(
                &p.pos,
                format!(
                    "platform `{}` is defined twice (first at {first})",
                    p.folder
                ),
            );
            continue;
        }
        seen_platform.insert(p.folder.clone(), p.pos.clone());
        let valid_name = !p.folder.is_empty()
            && p.folder
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !p.folder.starts_with(|c: char| c.is_ascii_digit());
        if !valid_name {
            d.push(&p.name.pos, format!("platform name `{}` must be lower-case letters, digits and `_`, starting with a letter", p.folder));
        }
        if p.protocol.value.trim().is_empty() {
            d.push(&p.protocol.pos, "`protocol` must name a protocol: a built-in one of the runtime, or one the program registers");
        }
        let mut hosts = Vec::new();
        for (k, v) in &p.hosts {
            if !(v.value.starts_with("http://") || v.value.starts_with("https://")) {
                d.push(
                    &v.pos,
                    format!(
                        "host `{}` must be an http:// or https:// URL, found `{}`",
                        k.value, v.value
                    ),
                );
            }
            hosts.push((k.value.clone(), v.value.trim_end_matches('/').to_owned()));
        }
        if !p.hosts.is_empty() && !hosts.iter().any(|(k, _)| k == "default") {
            d.push(&p.pos, "platform: `hosts` must include `default`");
        }
        platforms.insert(
            p.folder.clone(),
            Platform {
                name: p.folder.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                protocol: p.protocol.value.clone(),
                hosts,
                module: escape(&p.folder),
                accessor: format!("{}Api", pascal(&p.folder)),
                apis: Vec::new(),
                messages: Vec::new(),
            },
        );
    }

    let mut seen_api: BTreeMap<(String, String, String), Pos> = BTreeMap::new();
    for a in &corpus.apis {
        let Some(platform) = platforms.get_mut(&a.platform) else {
            d.push(
                &a.pos,
                format!(
                    "unknown platform `{}`: there is no `{}/platform.yaml`",
                    a.platform, a.platform
                ),
            );
            continue;
        };
        let key = (
            a.platform.clone(),
            a.name.value.clone(),
            a.version.value.clone(),
        );
        if let Some(first) = seen_api.get(&key) {
            d.push(
                &a.name.pos,
                format!(
                    "duplicate API `{}` version {} (first defined at {first})",
                    a.name.value, a.version.value
                ),
            );
            continue;
        }
        seen_api.insert(key, a.name.pos.clone());
        if let Some(api) = lower_api(a, platform, &mut d) {
            platform.apis.push(api);
        }
    }

    lower_messages(&corpus.messages, &mut platforms, &mut d);

    for p in platforms.values_mut() {
        p.apis
            .sort_by(|x, y| (&x.name, &x.version).cmp(&(&y.name, &y.version)));
        // `messages` is the module of the platform's push messages.
        let mut namer = Namer::with_reserved(&["messages"]);
        for api in &mut p.apis {
            api.module = namer.claim(api.module.clone());
        }
    }

    if d.is_empty() {
        Ok(Corpus {
            platforms: platforms.into_values().collect(),
        })
    } else {
        Err(d.sorted())
    }
}

#[cfg(test)]
mod tests {
    use super::paging::{looks_like_read, parse_template};

    #[test]
    fn templates() {
        assert_eq!(parse_template("/a/{id}/b").unwrap(), vec!["id"]);
        assert!(parse_template("a/b").is_err());
        assert!(parse_template("/a/{id").is_err());
        assert!(parse_template("/a/}").is_err());
        assert!(parse_template("/a/{}").is_err());
    }

    #[test]
    fn reads() {
        assert!(looks_like_read("youzan.trade.get"));
        assert!(looks_like_read("order.searchList"));
        assert!(!looks_like_read("alliance.store.add"));
    }
}
