//! A platform's corrections file (`<out>/corrections.json`): fixes to imported APIs that survive
//! re-importing, so nobody edits a generated spec by hand. The spec loader reads only YAML, so
//! the file sits beside the specs without being one.
//!
//! ```json
//! {
//!   "alibaba.trade.getBuyerView@1": {
//!     "set": {"name": "alibaba.trade.get.buyerView"},
//!     "params": {"orderId": {"type": "long", "required": true}, "unused": null}
//!   },
//!   "taobao.some.retired.api": {"skip": true}
//! }
//! ```
//!
//! Keys are `name@version` or a bare `name` (every version). `set` replaces top-level facts
//! (`name`, `version`, `summary`, `description`, `auth`, `method`, `host`, `path`,
//! `namespace`, `doc_url`, `group`); `params` and `response` patch fields by name (a dotted
//! path reaches nested ones; `null` removes the field; a new name adds it); `skip` drops the API;
//! `why` (text) says where the correction's facts come from, and goes into the spec's
//! `source.note`. A fact `set` is dropped from `source.inferred`.

use crate::model::{Param, Type};
use crate::{Imported, Problem};
use serde_json::{Map, Value};

/// A parsed corrections file.
#[derive(Debug, Default, Clone)]
pub struct Corrections {
    entries: Vec<(String, Map<String, Value>)>,
}

impl Corrections {
    /// Parses the file's text; `shown` names it in problems.
    pub fn parse(text: &str, shown: &str) -> Result<Corrections, Problem> {
        let problem = |message: String| Problem {
            path: shown.to_owned(),
            message,
        };
        let v: Value =
            serde_json::from_str(text).map_err(|e| problem(format!("not valid JSON: {e}")))?;
        let Value::Object(map) = v else {
            return Err(problem(
                "must be a JSON object of API name to correction".into(),
            ));
        };
        let mut entries = Vec::new();
        for (k, v) in map {
            match v {
                Value::Object(m) => entries.push((k, m)),
                _ => return Err(problem(format!("`{k}`: a correction must be an object"))),
            }
        }
        Ok(Corrections { entries })
    }

    /// Applies every matching correction to `api`; `false` means it is skipped. Entries that
    /// matched are marked in `used`.
    pub fn apply(
        &self,
        api: &mut Imported,
        used: &mut [bool],
        problems: &mut Vec<Problem>,
        shown: &str,
    ) -> bool {
        for (i, (key, c)) in self.entries.iter().enumerate() {
            let matches = match key.split_once('@') {
                Some((n, v)) => n == api.api.name && v == api.api.version,
                None => *key == api.api.name,
            };
            if !matches {
                continue;
            }
            used[i] = true;
            // The source of a correction goes into the spec beside it.
            let note = match c.get("why").and_then(Value::as_str) {
                Some(why) => format!("corrected by corrections.json: {why}"),
                None => "corrected by corrections.json".to_owned(),
            };
            match &mut api.api.source.note {
                Some(n) if !n.contains(&note) => n.push_str(&format!("; {note}")),
                Some(_) => {}
                None => api.api.source.note = Some(note),
            }
            let mut problem = |m: String| {
                problems.push(Problem {
                    path: shown.to_owned(),
                    message: format!("`{key}`: {m}"),
                })
            };
            if c.get("skip").and_then(Value::as_bool) == Some(true) {
                return false;
            }
            if let Some(Value::Object(set)) = c.get("set") {
                for (k, v) in set {
                    let Some(text) = v.as_str().map(str::to_owned) else {
                        problem(format!("set.{k} must be text"));
                        continue;
                    };
                    let a = &mut api.api;
                    // A fact a correction sets is no longer a guess.
                    a.source.inferred.retain(|f| f != k);
                    match k.as_str() {
                        "name" => a.name = text,
                        "version" => a.version = text,
                        "summary" => a.summary = Some(text),
                        "description" => a.description = Some(text),
                        "auth" => a.auth = text,
                        "method" => a.method = text.to_ascii_uppercase(),
                        "host" => a.host = Some(text),
                        "path" => a.path = Some(text),
                        "namespace" => a.namespace = Some(text),
                        "doc_url" => a.doc_url = Some(text),
                        "group" => api.group = text,
                        other => problem(format!("set.{other}: not a fact corrections can set")),
                    }
                }
            }
            for (part, is_param) in [("params", true), ("response", false)] {
                let Some(Value::Object(patches)) = c.get(part) else {
                    continue;
                };
                let list = if is_param {
                    &mut api.api.params
                } else {
                    &mut api.api.response
                };
                for (path, patch) in patches {
                    if let Err(m) = patch_field(list, path, patch) {
                        problem(format!("{part}.{path}: {m}"));
                    }
                }
            }
            if c.get("why").is_some_and(|w| !w.is_string()) {
                problem("why must be text".into());
            }
            let known = ["skip", "set", "params", "response", "why"];
            for k in c.keys().filter(|k| !known.contains(&k.as_str())) {
                problem(format!(
                    "unknown key `{k}`, expected one of: {}",
                    known.join(", ")
                ));
            }
        }
        true
    }

    /// Entries that matched no API, to report as stale.
    pub fn unused<'a>(&'a self, used: &'a [bool]) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .zip(used)
            .filter(|(_, u)| !**u)
            .map(|((k, _), _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn scalar_type(name: &str) -> Option<Type> {
    let t = name.trim();
    if let Some(inner) = t.strip_suffix("[]") {
        return scalar_type(inner).map(|e| Type::Array(Box::new(e)));
    }
    Some(Type::Scalar(match t {
        "string" => "string",
        "int" | "long" => "long",
        "boolean" => "boolean",
        "double" => "double",
        "decimal" | "price" => "decimal",
        "datetime" | "date" => "datetime",
        "json" => "json",
        "file" => "file",
        _ => return None,
    }))
}

/// Patches the field at dotted `path` in `list`.
fn patch_field(list: &mut Vec<Param>, path: &str, patch: &Value) -> Result<(), String> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let at = list.iter().position(|p| p.name == head);
    if let Some(rest) = rest {
        let Some(at) = at else {
            return Err(format!("no field `{head}`"));
        };
        let mut ty = &mut list[at].ty;
        while let Type::Array(inner) = ty {
            ty = inner;
        }
        return match ty {
            Type::Object(children) => patch_field(children, rest, patch),
            _ => Err(format!("`{head}` has no fields")),
        };
    }
    let Value::Object(facts) = patch else {
        if patch.is_null() {
            return match at {
                Some(i) => {
                    list.remove(i);
                    Ok(())
                }
                None => Err("no such field to remove".into()),
            };
        }
        return Err("a field correction must be an object or null".into());
    };
    let index = match at {
        Some(i) => i,
        None => {
            if !facts.contains_key("type") {
                return Err("a new field needs a `type`".into());
            }
            list.push(Param::new(head, Type::Scalar("string")));
            list.len() - 1
        }
    };
    let p = &mut list[index];
    for (k, v) in facts {
        match (k.as_str(), v) {
            ("type", Value::String(t)) => {
                p.ty = scalar_type(t).ok_or_else(|| format!("unknown type `{t}`"))?;
            }
            ("required", Value::Bool(b)) => p.required = *b,
            ("description", Value::String(d)) => p.description = Some(d.clone()),
            ("in", Value::String(l)) => p.location = Some(l.clone()),
            ("example", v) => {
                p.example = Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            }
            ("max_length", Value::Number(n)) => {
                p.max_length = n.as_u64().and_then(|n| u32::try_from(n).ok())
            }
            ("max_items", Value::Number(n)) => {
                p.max_items = n.as_u64().and_then(|n| u32::try_from(n).ok())
            }
            ("min", Value::Number(n)) => p.min = n.as_i64(),
            ("max", Value::Number(n)) => p.max = n.as_i64(),
            (k, _) => return Err(format!("cannot set `{k}` to {v}")),
        }
    }
    Ok(())
}
