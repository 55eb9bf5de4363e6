//! `top-metadata`: the TOP gateway's API metadata, `json/<group>/<api>.json` plus
//! `patch/<group>/<api>.json` (the catalog's own corrections, which win by API name).
//!
//! Facts the metadata lacks, and the TOP rule chosen for them (recorded in each spec's
//! `source.inferred`):
//! - version: `2.0`, the only version of the TOP router protocol (`v=2.0`);
//! - method: `POST`, as the official SDKs send every call;
//! - auth: `optional`: the metadata does not say which APIs need a `session`, so the
//!   configured one is sent and none is required; 淘宝客 apps, which have none, reach the APIs
//!   that need none. `corrections.json` says `user` or `app` where the platform's docs do.
//!
//! Types: `Number` is a 64-bit integer, `Price`/`BigDecimal` exact decimals, `Date` Beijing wall
//! time, `Json` raw JSON, `byte[]` an upload, `X[]` a list (the TOP protocol comma-joins lists
//! of scalars and sends objects as JSON), a named type with `subParams` a nested object (one
//! without is raw JSON). TOP wraps lists in responses (`{"order": [...]}`); the runtime unwraps
//! them, so specs describe the list itself.

use crate::model::{only_list, plain_text, usable_name, ApiSpec, Paging, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Groups with fewer APIs than this are merged into `more_<domain>` (by the API name's first
/// segment): TOP has 313 groups, a crate may have at most 300 features.
pub const MIN_GROUP: usize = 3;

#[derive(Debug, Clone, Copy, Default)]
pub struct TopMetadata;

impl Importer for TopMetadata {
    fn format(&self) -> &'static str {
        "top-metadata"
    }

    fn platform(&self) -> &str {
        "taobao"
    }

    fn default_groups(&self) -> &'static [&'static str] {
        &["tbtrade", "tbitem", "tbrefund", "logistic", "shop"]
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        // API name -> (group, file, document); patches replace by name.
        let mut docs: BTreeMap<String, (String, String, Map<String, Value>)> = BTreeMap::new();
        for part in ["json", "patch"] {
            let dir = source.join(part);
            if !dir.is_dir() {
                if part == "json" {
                    import.problem(
                        dir.display().to_string(),
                        "no such folder (expected the metadata's `json/`)",
                    );
                }
                continue;
            }
            let mut files = Vec::new();
            files_with(&dir, ".json", &mut files, &mut import);
            for rel in files {
                let shown = format!("{part}/{rel}");
                let Some((group, file)) = rel.split_once('/') else {
                    import.problem(&shown, "not in a group folder");
                    continue;
                };
                if file == "catelog.json" {
                    continue;
                }
                let doc = match std::fs::read(dir.join(&rel))
                    .map_err(|e| e.to_string())
                    .and_then(|b| {
                        serde_json::from_slice::<Value>(&b)
                            .map_err(|e| format!("not valid JSON: {e}"))
                    }) {
                    Ok(Value::Object(m)) => m,
                    Ok(_) => {
                        import.problem(&shown, "not a JSON object");
                        continue;
                    }
                    Err(e) => {
                        import.problem(&shown, e);
                        continue;
                    }
                };
                let Some(name) = doc.get("name").and_then(Value::as_str).map(str::to_owned) else {
                    import.problem(&shown, "no `name`");
                    continue;
                };
                if let Some((_, first, _)) = docs.get(&name) {
                    if part == "json" {
                        import.problem(
                            &shown,
                            format!("API `{name}` is also in {first}; keeping the first"),
                        );
                        continue;
                    }
                }
                docs.insert(name, (group.to_owned(), shown, doc));
            }
        }
        let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
        for (group, _, _) in docs.values() {
            *sizes.entry(group).or_default() += 1;
        }
        let mut apis = Vec::new();
        for (name, (group, shown, doc)) in &docs {
            let group = if sizes[group.as_str()] < MIN_GROUP {
                format!("more_{}", name.split('.').next().unwrap_or("taobao"))
            } else {
                group.clone()
            };
            if let Some(api) = api(name, shown, doc, &mut import) {
                apis.push(Imported { group, api });
            }
        }
        import.apis = apis;
        import
    }
}

fn api(name: &str, shown: &str, doc: &Map<String, Value>, import: &mut Import) -> Option<ApiSpec> {
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        || name.is_empty()
    {
        import.problem(
            shown,
            format!("API name `{name}` is not letters, digits and `._-`"),
        );
        return None;
    }
    let text = |k: &str| doc.get(k).and_then(Value::as_str).and_then(plain_text);
    let mut cx = Cx { shown, import };
    let params = cx.params(doc.get("requestParams"), true, "requestParams");
    let response = cx.params(doc.get("responseParams"), false, "responseParams");
    let summary = text("apiChineseName");
    let description = text("description").filter(|d| Some(d) != summary.as_ref());
    let paging = paging(name, &params, &response);
    let mut inferred = vec!["version".into(), "method".into(), "auth".into()];
    if paging.is_some() {
        inferred.push("paging".into());
    }
    Some(ApiSpec {
        paging,
        name: name.to_owned(),
        version: "2.0".into(),
        summary,
        description,
        auth: "optional".into(),
        method: "POST".into(),
        doc_url: doc
            .get("id")
            .and_then(Value::as_i64)
            .map(|id| format!("https://open.taobao.com/api.htm?docId={id}&docType=2")),
        params,
        response,
        source: Source {
            format: "top-metadata".into(),
            file: shown.to_owned(),
            inferred,
            note: None,
        },
        ..ApiSpec::default()
    })
}

/// TOP's list convention, where its names make the paging certain: `page_no` and `page_size`
/// (numbers) in, `total_results` (a number) and exactly one list out (`has_next` too when
/// present). The page numbers start at 1, the largest size is `page_size`'s `maxValue`; an
/// `.increment.` API is read backward, as its docs ask of a window of modifications.
fn paging(name: &str, params: &[Param], response: &[Param]) -> Option<Paging> {
    let number = |list: &[Param], n: &str| {
        list.iter()
            .find(|p| p.name == n && p.ty == Type::Scalar("long"))
            .cloned()
    };
    number(params, "page_no")?;
    let size = number(params, "page_size")?;
    number(response, "total_results")?;
    let items = only_list(response)?;
    let has_next = response
        .iter()
        .any(|p| p.name == "has_next" && p.ty == Type::Scalar("boolean"))
        .then(|| "has_next".to_owned());
    Some(Paging {
        style: "page",
        position: "page_no".into(),
        size: "page_size".into(),
        max_size: size.max.and_then(|m| u32::try_from(m).ok()),
        items: items.name.clone(),
        total: Some("total_results".into()),
        has_next,
        next_cursor: None,
        backward: name.contains(".increment."),
    })
}

struct Cx<'a> {
    shown: &'a str,
    import: &'a mut Import,
}

impl Cx<'_> {
    fn params(&mut self, list: Option<&Value>, is_request: bool, at: &str) -> Vec<Param> {
        let Some(list) = list else {
            return Vec::new();
        };
        let Some(items) = list.as_array() else {
            if !list.is_null() {
                self.import
                    .problem(self.shown, format!("`{at}` is not a list"));
            }
            return Vec::new();
        };
        let mut out: Vec<Param> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = format!("{at}[{i}]");
            let Some(p) = item.as_object() else {
                self.import
                    .problem(self.shown, format!("{here} is not an object"));
                continue;
            };
            let name = p.get("name").and_then(Value::as_str).unwrap_or("").trim();
            if !usable_name(name) {
                self.import.problem(
                    self.shown,
                    format!("{here}: unusable param name `{name}`, skipped"),
                );
                continue;
            }
            let here = format!("{at}.{name}");
            if out.iter().any(|o| o.name == name) {
                self.import.problem(
                    self.shown,
                    format!("{here}: duplicate field, the first is kept"),
                );
                continue;
            }
            let top = !at.contains('.');
            let Some(ty) = self.ty(p, is_request, top, &here) else {
                continue;
            };
            let number = |k: &str| p.get(k).and_then(Value::as_i64);
            let mut param = Param::new(name, ty);
            param.required = is_request && p.get("required").and_then(Value::as_bool) == Some(true);
            param.description = p
                .get("description")
                .and_then(Value::as_str)
                .and_then(plain_text);
            // Limits are checked on top-level params, where the client sees the value.
            if is_request && top {
                let (is_list, elem) = match &param.ty {
                    Type::Array(e) => (true, e.as_ref()),
                    other => (false, other),
                };
                let text_like = matches!(elem, Type::Scalar("string" | "long"));
                param.max_length = number("maxLength")
                    .filter(|&n| n > 0 && text_like)
                    .and_then(|n| u32::try_from(n).ok());
                param.max_items = number("maxListSize")
                    .filter(|&n| n > 0 && is_list)
                    .and_then(|n| u32::try_from(n).ok());
                let numeric = matches!(elem, Type::Scalar("long"));
                param.min = number("minValue").filter(|_| numeric);
                param.max = number("maxValue").filter(|_| numeric);
                if let (Some(a), Some(b)) = (param.min, param.max) {
                    if a > b {
                        self.import.problem(
                            self.shown,
                            format!("{here}: minValue {a} is above maxValue {b}; both dropped"),
                        );
                        param.min = None;
                        param.max = None;
                    }
                }
            }
            out.push(param);
        }
        out
    }

    fn ty(
        &mut self,
        p: &Map<String, Value>,
        is_request: bool,
        top: bool,
        here: &str,
    ) -> Option<Type> {
        let raw = p.get("type").and_then(Value::as_str).unwrap_or("").trim();
        // `byte[]` is an upload; in a response, or nested, it can only be text.
        if raw == "byte[]" {
            return Some(Type::Scalar(if is_request && top {
                "file"
            } else {
                "string"
            }));
        }
        let (base, list) = match raw.strip_suffix("[]") {
            Some(b) => (b.trim(), true),
            None => (raw, false),
        };
        let scalar = match base {
            "String" => Some("string"),
            // `byte` is a small number in a few TOP APIs.
            "Number" | "byte" => Some("long"),
            "Boolean" => Some("boolean"),
            "Date" => Some("datetime"),
            "Price" | "BigDecimal" => Some("decimal"),
            "Json" => Some("json"),
            _ => None,
        };
        let elem = match scalar {
            Some(s) => Type::Scalar(s),
            None if base.starts_with(|c: char| c.is_ascii_uppercase())
                && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                let at = format!("{here}.subParams");
                Type::Object(self.params(p.get("subParams"), is_request, &at))
            }
            None => {
                self.import
                    .problem(self.shown, format!("{here}: unknown type `{raw}`, skipped"));
                return None;
            }
        };
        Some(if list {
            Type::Array(Box::new(elem))
        } else {
            elem
        })
    }
}
