//! The spec language's parser: a YAML node tree into the model, every error with its
//! `path:line:col`.

mod fields;

use super::model::*;
use crate::diag::{Diagnostics, Pos};
use crate::yaml::{self, Node, Value};
use std::path::Path;
use std::sync::Arc;

/// Parses one file's text. `rel` is its path relative to the specs root; its
/// first component is the platform folder.
pub fn load_source(
    src: &str,
    rel: &Path,
    shown: Arc<str>,
    corpus: &mut Corpus,
    diags: &mut Diagnostics,
) {
    let mut cx = Cx { file: shown, diags };
    let root = match yaml::parse(src) {
        Ok(n) => n,
        Err(e) => {
            let pos = cx.at_lc(e.line, e.col);
            cx.diags.push(&pos, e.message);
            return;
        }
    };
    let comps: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if comps.len() < 2 {
        let pos = cx.at(&root);
        cx.diags.push(
            &pos,
            "spec files belong in a platform folder (`specs/<platform>/...`)",
        );
        return;
    }
    let folder = comps[0].clone();
    // `specs/<platform>/<group>/.../file.yaml`: the first folder below the platform's.
    let group = (comps.len() > 2).then(|| comps[1].as_str());
    let stem = Path::new(&comps[comps.len() - 1])
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if comps.len() == 2 && stem == "platform" {
        if let Some(p) = cx.platform(&root, folder) {
            corpus.platforms.push(p);
        }
        return;
    }
    let Value::Map(entries) = &root.value else {
        let pos = cx.at(&root);
        cx.diags.push(
            &pos,
            format!(
                "an API file must be a mapping with `name:` (one API), `apis:` (a list) or `messages:`, found {}",
                root.kind()
            ),
        );
        return;
    };
    if let Some((_, list)) = entries.iter().find(|(k, _)| key(k) == Some("messages")) {
        if entries.len() > 1 {
            let pos = cx.at(&root);
            cx.diags.push(
                &pos,
                "a file with `messages:` must have no other top-level keys",
            );
        }
        if group.is_some() {
            let pos = cx.at(list);
            cx.diags.push(
                &pos,
                "`messages:` belong in a file directly in the platform folder (every build has them, whatever its features)",
            );
            return;
        }
        match &list.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(m) = cx.message(item, &folder) {
                        corpus.messages.push(m);
                    }
                }
            }
            _ => {
                let pos = cx.at(list);
                cx.diags.push(
                    &pos,
                    format!(
                        "`messages` must be a list of message kinds, found {}",
                        list.kind()
                    ),
                );
            }
        }
    } else if let Some((_, list)) = entries.iter().find(|(k, _)| key(k) == Some("apis")) {
        if entries.len() > 1 {
            let pos = cx.at(&root);
            cx.diags.push(
                &pos,
                "a file with `apis:` must have no other top-level keys",
            );
        }
        match &list.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(api) = cx.api(item, &folder, group) {
                        corpus.apis.push(api);
                    }
                }
            }
            _ => {
                let pos = cx.at(list);
                cx.diags.push(
                    &pos,
                    format!("`apis` must be a list of APIs, found {}", list.kind()),
                );
            }
        }
    } else if let Some(api) = cx.api(&root, &folder, group) {
        corpus.apis.push(api);
    }
}

fn key(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

struct Cx<'a> {
    file: Arc<str>,
    diags: &'a mut Diagnostics,
}

/// The fields of a mapping, checked against the allowed keys.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, k: &str) -> Option<&'n Node> {
        self.entries.iter().find(|e| e.0 == k).map(|e| e.2)
    }
}

impl Cx<'_> {
    fn at(&self, n: &Node) -> Pos {
        self.at_lc(n.line, n.col)
    }

    fn at_lc(&self, line: u32, col: u32) -> Pos {
        Pos {
            file: self.file.clone(),
            line: line.max(1),
            col: col.max(1),
        }
    }

    fn err(&mut self, n: &Node, msg: impl Into<String>) {
        let pos = self.at(n);
        self.diags.push(&pos, msg);
    }

    /// Checks that `n` is a mapping whose keys are strings from `allowed`.
    fn fields<'n>(&mut self, n: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &n.value else {
            self.err(n, format!("{what} must be a mapping, found {}", n.kind()));
            return None;
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(name) = key(k) else {
                self.err(
                    k,
                    format!("{what}: keys must be strings, found {}", k.kind()),
                );
                continue;
            };
            if !allowed.contains(&name) {
                self.err(
                    k,
                    format!(
                        "{what}: unknown field `{name}`, expected one of: {}",
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            if out
                .iter()
                .any(|(n, _, _): &(&str, &Node, &Node)| *n == name)
            {
                self.err(k, format!("{what}: duplicate field `{name}`"));
                continue;
            }
            out.push((name, k, v));
        }
        Some(Fields { entries: out })
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.err(n, format!("`{what}` must be a string, found {}", n.kind()));
                None
            }
        }
    }

    fn opt_string(&mut self, f: &Fields<'_>, k: &str) -> Option<String> {
        let n = f.get(k)?;
        if matches!(n.value, Value::Null) {
            return None;
        }
        self.string(n, k)
    }

    fn located(&mut self, f: &Fields<'_>, k: &str) -> Option<Located<String>> {
        let n = f.get(k)?;
        let value = self.string(n, k)?;
        Some(Located {
            pos: self.at(n),
            value,
        })
    }

    fn required(
        &mut self,
        f: &Fields<'_>,
        k: &str,
        owner: &Node,
        what: &str,
    ) -> Option<Located<String>> {
        if f.get(k).is_none() {
            self.err(owner, format!("{what}: missing required field `{k}`"));
            return None;
        }
        self.located(f, k)
    }

    fn boolean(&mut self, f: &Fields<'_>, k: &str) -> Option<bool> {
        let n = f.get(k)?;
        match n.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.err(
                    n,
                    format!("`{k}` must be true or false, found {}", n.kind()),
                );
                None
            }
        }
    }

    fn platform(&mut self, n: &Node, folder: String) -> Option<Platform> {
        let f = self.fields(
            n,
            "platform",
            &["platform", "title", "protocol", "hosts", "description"],
        )?;
        let name = self.required(&f, "platform", n, "platform");
        let protocol = self.required(&f, "protocol", n, "platform");
        let title = self.opt_string(&f, "title");
        let description = self.opt_string(&f, "description");
        let mut hosts = Vec::new();
        match f.get("hosts") {
            None => self.err(
                n,
                "platform: missing required field `hosts` (at least `default: https://...`)",
            ),
            Some(h) => match &h.value {
                Value::Map(entries) => {
                    for (k, v) in entries {
                        let (Some(kn), Some(vs)) =
                            (key(k).map(str::to_owned), self.string(v, "hosts.*"))
                        else {
                            continue;
                        };
                        hosts.push((
                            Located {
                                pos: self.at(k),
                                value: kn,
                            },
                            Located {
                                pos: self.at(v),
                                value: vs,
                            },
                        ));
                    }
                }
                _ => self.err(
                    h,
                    format!(
                        "`hosts` must be a mapping of name to URL, found {}",
                        h.kind()
                    ),
                ),
            },
        }
        Some(Platform {
            pos: self.at(n),
            folder,
            name: name?,
            title,
            protocol: protocol?,
            hosts,
            description,
        })
    }

    fn source(&mut self, n: &Node) -> Option<Source> {
        let f = self.fields(n, "source", &["format", "file", "inferred", "note"])?;
        let format = self.required(&f, "format", n, "source")?.value;
        let inferred = match f.get("inferred") {
            None => Vec::new(),
            Some(list) => match &list.value {
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.string(i, "inferred"))
                    .collect(),
                _ => {
                    self.err(
                        list,
                        format!("`inferred` must be a list, found {}", list.kind()),
                    );
                    Vec::new()
                }
            },
        };
        Some(Source {
            format,
            file: self.opt_string(&f, "file"),
            inferred,
            note: self.opt_string(&f, "note"),
        })
    }

    fn paging(&mut self, n: &Node) -> Option<Paging> {
        const KEYS: &[&str] = &[
            "style",
            "page",
            "first",
            "size",
            "max_size",
            "items",
            "total",
            "has_next",
            "cursor",
            "next_cursor",
            "backward",
        ];
        let f = self.fields(n, "paging", KEYS)?;
        let style = self.required(&f, "style", n, "paging");
        let items = self.required(&f, "items", n, "paging");
        let first = match f.get("first") {
            None => None,
            Some(v) => match v.value {
                Value::Int(i) if i == 0 || i == 1 => Some(Located {
                    pos: self.at(v),
                    value: i,
                }),
                _ => {
                    self.err(v, "`first` must be 0 or 1 (the first page's number)");
                    None
                }
            },
        };
        Some(Paging {
            pos: self.at(n),
            page: self.located(&f, "page"),
            first,
            size: self.located(&f, "size"),
            max_size: self.count(&f, "max_size"),
            total: self.located(&f, "total"),
            has_next: self.located(&f, "has_next"),
            cursor: self.located(&f, "cursor"),
            next_cursor: self.located(&f, "next_cursor"),
            backward: self.boolean(&f, "backward").unwrap_or(false),
            style: style?,
            items: items?,
        })
    }

    /// A non-negative limit that fits `u32`.
    fn count(&mut self, f: &Fields<'_>, k: &str) -> Option<u32> {
        let n = f.get(k)?;
        match n.value {
            Value::Int(i) => match u32::try_from(i) {
                Ok(v) => Some(v),
                Err(_) => {
                    self.err(
                        n,
                        format!("`{k}` must be between 0 and {}, found {i}", u32::MAX),
                    );
                    None
                }
            },
            _ => {
                self.err(n, format!("`{k}` must be an integer, found {}", n.kind()));
                None
            }
        }
    }

    fn bound(&mut self, f: &Fields<'_>, k: &str) -> Option<i64> {
        let n = f.get(k)?;
        match n.value {
            Value::Int(i) => Some(i),
            _ => {
                self.err(n, format!("`{k}` must be an integer, found {}", n.kind()));
                None
            }
        }
    }

    fn limits(&mut self, f: &Fields<'_>, owner: &Node) -> Limits {
        let limits = Limits {
            max_length: self.count(f, "max_length"),
            max_items: self.count(f, "max_items"),
            min: self.bound(f, "min"),
            max: self.bound(f, "max"),
        };
        if let (Some(min), Some(max)) = (limits.min, limits.max) {
            if min > max {
                self.err(
                    owner,
                    format!("`min` ({min}) is greater than `max` ({max})"),
                );
            }
        }
        limits
    }

    fn api(&mut self, n: &Node, folder: &str, group: Option<&str>) -> Option<Api> {
        const KEYS: &[&str] = &[
            "name",
            "version",
            "summary",
            "description",
            "auth",
            "method",
            "host",
            "path",
            "namespace",
            "idempotent",
            "params",
            "response",
            "response_example",
            "doc_url",
            "source",
            "paging",
        ];
        let f = self.fields(n, "api", KEYS)?;
        let name = self.required(&f, "name", n, "api");
        let version = match f.get("version") {
            None => {
                self.err(n, "api: missing required field `version`");
                None
            }
            Some(v) => match &v.value {
                Value::Str(s) => Some(s.clone()),
                Value::Int(i) => Some(i.to_string()),
                Value::Float(_) => {
                    self.err(v, "`version` must be a string; quote it (e.g. \"1.0\") so YAML keeps it as written");
                    None
                }
                _ => {
                    self.err(v, format!("`version` must be a string, found {}", v.kind()));
                    None
                }
            }
            .map(|value| Located { pos: self.at(v), value }),
        };
        let auth = self.required(&f, "auth", n, "api");
        let method = self.required(&f, "method", n, "api");
        let params = match f.get("params") {
            None => Vec::new(),
            Some(p) => self.params(p),
        };
        let response = match f.get("response") {
            None => None,
            Some(r) => self.object_type(r, "response"),
        };
        let response_example = f.get("response_example").map(Node::to_json);
        let source = f.get("source").and_then(|s| self.source(s));
        let paging = f.get("paging").and_then(|p| self.paging(p));
        Some(Api {
            source,
            paging,
            group: group.map(str::to_owned),
            pos: self.at(n),
            platform: folder.to_owned(),
            summary: self.opt_string(&f, "summary"),
            description: self.opt_string(&f, "description"),
            host: self.located(&f, "host"),
            path: self.located(&f, "path"),
            namespace: self.opt_string(&f, "namespace"),
            idempotent: self.boolean(&f, "idempotent"),
            doc_url: self.opt_string(&f, "doc_url"),
            params,
            response,
            response_example,
            name: name?,
            version: version?,
            auth: auth?,
            method: method?,
        })
    }

    fn message(&mut self, n: &Node, folder: &str) -> Option<Message> {
        const KEYS: &[&str] = &[
            "kind",
            "name",
            "summary",
            "description",
            "doc_url",
            "payload",
        ];
        let f = self.fields(n, "message", KEYS)?;
        // A Doudian tag is a number in YAML (`kind: 101`): kinds are text either way.
        let kind = match f.get("kind") {
            None => {
                self.err(n, "message: missing required field `kind`");
                None
            }
            Some(k) => match &k.value {
                Value::Str(s) => Some(s.clone()),
                Value::Int(i) => Some(i.to_string()),
                _ => {
                    self.err(k, format!("`kind` must be a string, found {}", k.kind()));
                    None
                }
            }
            .map(|value| Located {
                pos: self.at(k),
                value,
            }),
        };
        let name = self.required(&f, "name", n, "message");
        let payload = match f.get("payload") {
            None => None,
            Some(p) => self.object_type(p, "payload"),
        };
        Some(Message {
            pos: self.at(n),
            platform: folder.to_owned(),
            summary: self.opt_string(&f, "summary"),
            description: self.opt_string(&f, "description"),
            doc_url: self.opt_string(&f, "doc_url"),
            payload,
            kind: kind?,
            name: name?,
        })
    }
}
