//! Several catalogs of one platform read in one import (`opengate import --from A … --and B=…`):
//! an API in more than one of them becomes one spec. Each fact comes from the first catalog
//! that knows it: a fact a catalog lists in `source.inferred` is a guess, and a later catalog
//! that states it wins over the guess; where two catalogs both state a fact and disagree, the
//! first is kept and the spec's `source.note` says what the other said. So the order of the
//! catalogs is the platform's precedence (docs/decisions.md says it per platform).

use crate::model::{ApiSpec, Param, Type};
use crate::Imported;
use std::collections::BTreeMap;

/// Merges the APIs of several catalogs, in precedence order, by name and version. An API only
/// a later catalog has is kept as it is.
/// An API only a later catalog has joins the group of the earlier catalogs' APIs whose names share
/// the most leading segments with it (at least two: `taobao.fastlive.duration.get` goes where
/// `taobao.fastlive.*` went), else keeps its own. An API its catalog marks stale is kept only where
/// another catalog has it too. `wins` are the facts each catalog states with authority over the
/// catalogs before it (an official client's method, host and path: what it sends).
pub fn merge(catalogs: Vec<(Vec<Imported>, &[&str])>) -> Vec<Imported> {
    let mut out: Vec<Imported> = Vec::new();
    let mut at: BTreeMap<(String, String), usize> = BTreeMap::new();
    // Name prefixes (two segments or more) of the APIs so far -> their group.
    let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
    let mut confirmed: Vec<bool> = Vec::new();
    for (n, (apis, wins)) in catalogs.into_iter().enumerate() {
        for mut api in apis {
            let key = (api.api.name.clone(), api.api.version.clone());
            // Within one catalog a name twice is its own problem, reported by the writer.
            if let Some(&i) = at.get(&key).filter(|_| n > 0) {
                merge_api(&mut out[i].api, api.api, wins);
                confirmed[i] = true;
                continue;
            }
            if n > 0 {
                if let Some(g) = prefix_group(&prefixes, &api.api.name) {
                    api.group = g.clone();
                }
            }
            let segments: Vec<&str> = api.api.name.split('.').collect();
            for k in 2..=segments.len() {
                prefixes
                    .entry(segments[..k].join("."))
                    .or_insert_with(|| api.group.clone());
            }
            at.entry(key).or_insert(out.len());
            confirmed.push(!api.api.stale);
            out.push(api);
        }
    }
    out.into_iter()
        .zip(confirmed)
        .filter(|(_, c)| *c)
        .map(|(mut a, _)| {
            a.api.stale = false;
            a
        })
        .collect()
}

/// The group of the longest known prefix (two segments or more) of `name`.
fn prefix_group<'a>(prefixes: &'a BTreeMap<String, String>, name: &str) -> Option<&'a String> {
    let segments: Vec<&str> = name.split('.').collect();
    (2..=segments.len())
        .rev()
        .find_map(|k| prefixes.get(&segments[..k].join(".")))
}

/// Whether `api`'s catalog states `fact` (rather than guessing it).
fn knows(api: &ApiSpec, fact: &str) -> bool {
    !api.source.inferred.iter().any(|f| f == fact)
}

/// A fact's value as a note shows it.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for String {
    fn shown(&self) -> String {
        format!("`{self}`")
    }
}

impl Shown for Option<String> {
    fn shown(&self) -> String {
        self.as_ref()
            .map_or_else(|| "none".to_owned(), Shown::shown)
    }
}

/// Folds `later` (the same API from a later catalog) into `first`; the facts in `wins` that
/// `later` states replace `first`'s.
fn merge_api(first: &mut ApiSpec, later: ApiSpec, wins: &[&str]) {
    let mut said = Vec::new();
    // Which of the later catalog's stated facts replace the first one's guesses.
    let types = !knows(first, "types") && knows(&later, "types");
    let required = !knows(first, "required") && knows(&later, "required");
    let response = !knows(first, "response") && knows(&later, "response");
    macro_rules! fact {
        ($field:ident) => {{
            let name = stringify!($field);
            if first.$field != later.$field && knows(&later, name) {
                if !knows(first, name) {
                    first.$field = later.$field.clone();
                } else if wins.contains(&name) {
                    said.push(format!(
                        "{name} {} (over {})",
                        later.$field.shown(),
                        first.$field.shown()
                    ));
                    first.$field = later.$field.clone();
                } else {
                    said.push(format!("{name} {}", later.$field.shown()));
                }
            }
        }};
    }
    fact!(method);
    fact!(auth);
    fact!(host);
    fact!(path);
    fact!(namespace);
    for (mine, theirs) in [
        (&mut first.summary, later.summary),
        (&mut first.description, later.description),
        (&mut first.doc_url, later.doc_url),
    ] {
        if mine.is_none() {
            *mine = theirs;
        }
    }
    let mut added = Vec::new();
    for theirs in later.params {
        match first.params.iter_mut().find(|p| p.name == theirs.name) {
            Some(mine) => fill(mine, theirs, types, required, true),
            None => {
                added.push(theirs.name.clone());
                first.params.push(theirs);
            }
        }
    }
    if !added.is_empty() {
        said.push(format!("params also: {}", added.join(", ")));
    }
    if first.response.is_empty() || response {
        if !later.response.is_empty() {
            first.response = later.response;
        }
    } else {
        fill_fields(&mut first.response, later.response);
    }
    if first.paging.is_none() {
        first.paging = later.paging;
    }
    // A fact stays a guess only where no catalog states it.
    first
        .source
        .inferred
        .retain(|f| later.source.inferred.contains(f));
    let mut note = format!("also in {} `{}`", later.source.format, later.source.file);
    if !said.is_empty() {
        note.push_str(&format!(", which says {}", said.join("; ")));
    }
    first.source.note = Some(match first.source.note.take() {
        Some(n) => format!("{n}; {note}"),
        None => note,
    });
}

/// Fills what `mine` lacks from `theirs`; its type and required flag too where `mine`'s were
/// guessed and `theirs`' stated. Only a top-level param has a default; its location stays the
/// first catalog's (none is the protocol's default, a statement too).
fn fill(mine: &mut Param, theirs: Param, types: bool, required: bool, top: bool) {
    if types && mine.ty != theirs.ty {
        mine.ty = theirs.ty.clone();
    }
    if required {
        mine.required = theirs.required;
    }
    for (m, t) in [
        (&mut mine.description, theirs.description),
        (&mut mine.example, theirs.example),
        (&mut mine.default, theirs.default.filter(|_| top)),
    ] {
        if m.is_none() {
            *m = t;
        }
    }
    mine.max_length = mine.max_length.or(theirs.max_length);
    mine.max_items = mine.max_items.or(theirs.max_items);
    mine.min = mine.min.or(theirs.min);
    mine.max = mine.max.or(theirs.max);
    if let (Type::Object(m), Type::Object(t)) = (&mut mine.ty, theirs.ty) {
        fill_fields(m, t);
    }
}

/// Descriptions of response fields both describe, from `theirs` where `mine` has none.
fn fill_fields(mine: &mut [Param], theirs: Vec<Param>) {
    for t in theirs {
        if let Some(m) = mine.iter_mut().find(|m| m.name == t.name) {
            fill(m, t, false, false, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;

    fn api(format: &str, inferred: &[&str]) -> ApiSpec {
        ApiSpec {
            name: "a.b".into(),
            version: "1".into(),
            method: "POST".into(),
            auth: "user".into(),
            source: Source {
                format: format.into(),
                file: format!("{format}.json"),
                inferred: inferred.iter().map(|s| s.to_string()).collect(),
                note: None,
            },
            ..ApiSpec::default()
        }
    }

    fn imported(api: ApiSpec) -> Imported {
        Imported {
            group: "g".into(),
            api,
        }
    }

    #[test]
    fn an_authoritative_catalog_wins_what_it_sends() {
        let old = api("docs", &[]);
        let mut new = api("sdk", &[]);
        new.method = "GET".into();
        new.host = Some("open".into());
        let merged = merge(vec![
            (vec![imported(old)], &[]),
            (vec![imported(new)], &["method", "host"]),
        ]);
        let a = &merged[0].api;
        assert_eq!(
            (a.method.as_str(), a.host.as_deref()),
            ("GET", Some("open"))
        );
        let note = a.source.note.as_deref().unwrap();
        assert!(note.contains("method `GET` (over `POST`)"), "{note}");
        assert!(note.contains("host `open` (over none)"), "{note}");
    }

    #[test]
    fn stated_facts_beat_guesses_and_the_first_wins_a_disagreement() {
        let mut old = api("docs", &["method", "required"]);
        let mut id = Param::new("id", Type::Scalar("string"));
        id.description = Some("the id".into());
        old.params.push(id);
        let mut new = api("sdk", &["types"]);
        new.method = "GET".into();
        new.auth = "app".into();
        new.doc_url = Some("https://doc".into());
        let mut id = Param::new("id", Type::Scalar("long"));
        id.required = true;
        new.params.push(id);
        new.params.push(Param::new("extra", Type::Scalar("string")));
        let mut other = api("sdk", &[]);
        other.name = "c.d".into();
        let mut other = imported(other);
        other.group = "own".into();
        let mut newer = api("sdk", &[]);
        newer.version = "2".into();
        let mut newer = imported(newer);
        newer.group = "elsewhere".into();
        let mut stale = api("sdk", &[]);
        stale.name = "x.y".into();
        stale.stale = true;
        let mut confirmed = api("sdk", &[]);
        confirmed.name = "a.b".into();
        confirmed.version = "3".into();
        confirmed.stale = true;
        let mut earlier = api("docs", &[]);
        earlier.version = "3".into();
        let merged = merge(vec![
            (vec![imported(old), imported(earlier)], &[]),
            (
                vec![
                    imported(new),
                    other,
                    newer,
                    imported(stale),
                    imported(confirmed),
                ],
                &[],
            ),
        ]);
        assert_eq!(
            merged.len(),
            4,
            "the stale x.y is dropped, the confirmed a.b 3 kept"
        );
        assert!(merged.iter().all(|a| a.api.name != "x.y" && !a.api.stale));
        assert_eq!(
            merged[3].group, "g",
            "a newer version joins the group of its name"
        );
        let a = &merged[0].api;
        assert_eq!(a.method, "GET", "the docs guessed it, the SDK states it");
        assert_eq!(a.auth, "user", "both state it: the first is kept");
        assert_eq!(a.doc_url.as_deref(), Some("https://doc"));
        let id = &a.params[0];
        assert!(id.required, "the docs guessed required flags");
        assert_eq!(id.ty, Type::Scalar("string"), "the SDK guessed types");
        assert_eq!(id.description.as_deref(), Some("the id"));
        assert_eq!(a.params[1].name, "extra");
        assert!(a.source.inferred.is_empty(), "{:?}", a.source.inferred);
        let note = a.source.note.as_deref().unwrap();
        assert!(
            note.starts_with("also in sdk `sdk.json`, which says auth `app`"),
            "{note}"
        );
        assert!(note.contains("params also: extra"), "{note}");
        assert_eq!(merged[2].api.name, "c.d");
        assert_eq!(merged[2].group, "own", "no known prefix: its own group");
    }
}
