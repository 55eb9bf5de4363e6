//! `youzan-docs`: the older open.youzan.com doc JSON (`docs/<group>/<api>.json`, one member per
//! version), mapped onto today's gateway, with today's index (`--index`, the
//! `youzan-index/apis/<group>/<name>_<version>.md` front matter) telling which are current.
//!
//! Mapping: the API `youzan.trade.get` version `4.0.0` is served at `/api/youzan.trade.get/4.0.0`
//! (the protocol's default path); the doc's `responseParams` are today's `data` (a single
//! `response` member is the data itself), inside `{success, code, message, data}`. Auth is
//! `user` (an `access_token`), or `none` where the index says `无认证`. An API the index does not
//! list is still imported, with a note in its spec and in the import's notes: it may be retired.

use crate::model::{plain_text, usable_name, ApiSpec, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct YouzanDocs {
    /// The index folder (`youzan-index/apis`), if given.
    pub index: Option<PathBuf>,
}

/// What the index says of one API version.
#[derive(Debug, Clone, PartialEq)]
struct Indexed {
    no_auth: bool,
    doc_url: Option<String>,
}

impl Importer for YouzanDocs {
    fn format(&self) -> &'static str {
        "youzan-docs"
    }

    fn platform(&self) -> &str {
        "youzan"
    }

    fn default_groups(&self) -> &'static [&'static str] {
        &["trade", "item", "logistics", "seller_refund", "shop"]
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let index = self
            .index
            .as_deref()
            .map(|dir| read_index(dir, &mut import));
        let root = if source.join("docs").is_dir() {
            source.join("docs")
        } else {
            source.to_path_buf()
        };
        let mut files = Vec::new();
        files_with(&root, ".json", &mut files, &mut import);
        let mut retired = 0;
        for rel in files {
            let Some((group, file)) = rel.split_once('/') else {
                continue; // `youzan-api-info.json` and other top-level files describe no API.
            };
            let name = file.trim_end_matches(".json").to_owned();
            let doc = match std::fs::read(root.join(&rel))
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<Value>(&b).map_err(|e| format!("not valid JSON: {e}"))
                }) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    import.problem(&rel, "not a JSON object");
                    continue;
                }
                Err(e) => {
                    import.problem(&rel, e);
                    continue;
                }
            };
            if !usable_name(&name) {
                import.problem(&rel, format!("`{name}` is not an API name"));
                continue;
            }
            let versions: Vec<String> = doc
                .get("version")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if versions.is_empty() {
                import.problem(&rel, "no `version` list");
            }
            for version in versions {
                let Some(Value::Object(v)) = doc.get(&version) else {
                    import.problem(
                        &rel,
                        format!("version {version} is listed but not described"),
                    );
                    continue;
                };
                let indexed = index
                    .as_ref()
                    .map(|i| i.get(&(name.clone(), version.clone())));
                let mut api = api(&name, &version, &rel, &doc, v, &mut import);
                match indexed {
                    Some(Some(i)) => {
                        if i.no_auth {
                            api.auth = "none".into();
                        } else {
                            api.source.inferred.retain(|f| f != "auth");
                        }
                        api.doc_url = i.doc_url.clone();
                    }
                    Some(None) => {
                        retired += 1;
                        api.source.note =
                            Some("not in today's Youzan index: it may be retired".into());
                    }
                    None => {}
                }
                import.apis.push(Imported {
                    group: group.to_owned(),
                    api,
                });
            }
        }
        if retired > 0 {
            import.notes.push(format!(
                "{retired} API versions are not in today's index; imported with a note in their specs"
            ));
        }
        import
    }
}

/// `(name, version)` -> what the index says, from the front matter of each page.
fn read_index(dir: &Path, import: &mut Import) -> BTreeMap<(String, String), Indexed> {
    let mut files = Vec::new();
    files_with(dir, ".md", &mut files, import);
    let mut out = BTreeMap::new();
    for rel in files {
        let Ok(text) = std::fs::read_to_string(dir.join(&rel)) else {
            import.problem(&rel, "cannot read");
            continue;
        };
        let front = text
            .strip_prefix("---")
            .and_then(|t| t.split_once("\n---"))
            .map(|(f, _)| f)
            .unwrap_or_default();
        let field = |k: &str| {
            front.lines().find_map(|l| {
                let v = l.strip_prefix(k)?.strip_prefix(':')?.trim();
                Some(v.trim_matches('"').to_owned())
            })
        };
        let (Some(api_name), Some(version)) = (field("apiName"), field("version")) else {
            import.problem(&rel, "no `apiName` and `version` in the front matter");
            continue;
        };
        let name = api_name
            .strip_suffix(&format!(".{version}"))
            .unwrap_or(&api_name)
            .to_owned();
        let indexed = Indexed {
            no_auth: field("authType").as_deref() == Some("无认证"),
            doc_url: field("detailUrl"),
        };
        out.insert((name, version), indexed);
    }
    out
}

fn api(
    name: &str,
    version: &str,
    rel: &str,
    doc: &Map<String, Value>,
    v: &Map<String, Value>,
    import: &mut Import,
) -> ApiSpec {
    let mut cx = Cx { rel, import };
    let params = cx.params(v.get("requestParams"), true, "requestParams", 0);
    let data_fields = cx.params(v.get("responseParams"), false, "responseParams", 0);
    // One `response` member was the old gateway's wrapper: it is the data itself.
    let data = match data_fields.as_slice() {
        [only] if only.name == "response" => Param {
            name: "data".into(),
            ..only.clone()
        },
        _ => Param {
            name: "data".into(),
            ty: Type::Object(data_fields),
            ..Param::default()
        },
    };
    let envelope = vec![
        Param::new("success", Type::Scalar("boolean")),
        Param::new("code", Type::Scalar("long")),
        Param::new("message", Type::Scalar("string")),
        data,
    ];
    let summary = doc.get("desc").and_then(Value::as_str).and_then(plain_text);
    let scenarios = doc
        .get("scenarios")
        .and_then(Value::as_str)
        .and_then(plain_text);
    ApiSpec {
        name: name.to_owned(),
        version: version.to_owned(),
        description: scenarios.filter(|s| Some(s) != summary.as_ref()),
        summary,
        auth: "user".into(),
        method: "POST".into(),
        params,
        response: envelope,
        source: Source {
            format: "youzan-docs".into(),
            file: rel.to_owned(),
            inferred: vec!["method".into(), "auth".into()],
            note: None,
        },
        ..ApiSpec::default()
    }
}

struct Cx<'a> {
    rel: &'a str,
    import: &'a mut Import,
}

impl Cx<'_> {
    fn params(
        &mut self,
        list: Option<&Value>,
        is_request: bool,
        at: &str,
        depth: usize,
    ) -> Vec<Param> {
        let items = match list {
            Some(Value::Array(items)) => items.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => {
                self.import.problem(self.rel, format!("{at} is not a list"));
                &[]
            }
        };
        let mut out: Vec<Param> = Vec::new();
        for item in items {
            let Some(p) = item.as_object() else {
                self.import
                    .problem(self.rel, format!("{at}: an entry is not an object"));
                continue;
            };
            let name = p.get("name").and_then(Value::as_str).unwrap_or("").trim();
            let here = format!("{at}.{name}");
            if !usable_name(name) {
                self.import.problem(
                    self.rel,
                    format!("{at}: unusable field name `{name}`, skipped"),
                );
                continue;
            }
            if out.iter().any(|o| o.name == name) {
                self.import.problem(
                    self.rel,
                    format!("{here}: duplicate field, the first is kept"),
                );
                continue;
            }
            // Nested fields sit in `struct.children` at the top and in `children` below.
            let children = p
                .get("struct")
                .and_then(|s| s.get("children"))
                .or_else(|| p.get("children"))
                .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()));
            let raw = p.get("type").and_then(Value::as_str).unwrap_or("").trim();
            let Some(ty) = self.ty(raw, children, is_request, &here, depth) else {
                continue;
            };
            let mut param = Param::new(name, ty);
            param.required =
                is_request && p.get("isRequired").and_then(Value::as_str) == Some("是");
            param.description = p.get("desc").and_then(Value::as_str).and_then(plain_text);
            if is_request {
                let text = |k: &str| {
                    p.get(k)
                        .and_then(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .or_else(|| (!v.is_null()).then(|| v.to_string()))
                        })
                        .filter(|s| !s.trim().is_empty())
                };
                param.example = text("example");
                param.default = text("defaultValue");
            }
            out.push(param);
        }
        out
    }

    fn ty(
        &mut self,
        raw: &str,
        children: Option<&Value>,
        is_request: bool,
        here: &str,
        depth: usize,
    ) -> Option<Type> {
        if raw == "byte[]" && is_request && depth == 0 {
            return Some(Type::Scalar("file"));
        }
        // `X[]` and Java's `List<X>` are lists.
        let (base, list) = match raw
            .strip_suffix("[]")
            .or_else(|| raw.strip_prefix("List<").and_then(|r| r.strip_suffix('>')))
        {
            Some(b) => (b.trim(), true),
            None => (raw, false),
        };
        let elem = match base.to_ascii_lowercase().as_str() {
            "string" | "str" => Type::Scalar("string"),
            "number" | "long" | "integer" | "int" | "short" => Type::Scalar("long"),
            "boolean" | "bool" => Type::Scalar("boolean"),
            "date" | "datetime" => Type::Scalar("datetime"),
            "price" | "bigdecimal" => Type::Scalar("decimal"),
            "double" | "float" => Type::Scalar("double"),
            "object" | "map" | "json" => Type::Scalar("json"),
            "file" if is_request && depth == 0 => Type::Scalar("file"),
            // A named type: its fields are the children (some names are not capitalised).
            _ if (base.starts_with(|c: char| c.is_ascii_uppercase()) || children.is_some())
                && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                if depth > 16 {
                    self.import
                        .problem(self.rel, format!("{here}: nested too deep; read as JSON"));
                    Type::Scalar("json")
                } else {
                    Type::Object(self.params(
                        children,
                        is_request,
                        &format!("{here}.children"),
                        depth + 1,
                    ))
                }
            }
            _ => {
                self.import
                    .problem(self.rel, format!("{here}: unknown type `{raw}`, skipped"));
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
