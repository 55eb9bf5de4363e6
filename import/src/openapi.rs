//! `openapi`: any OpenAPI 3.0 or 3.1 document (JSON or YAML), so users can bring their own; the
//! platforms whose documents mean more than OpenAPI says give their [`Rules`] from their own
//! importer module.
//!
//! One spec per operation. The name is the path's segments joined with `.`
//! (`/alliance/kol/store/list/` is `alliance.kol.store.list`; `{params}` dropped; a path with
//! several methods adds the method); the group is the operation's first tag; query, path and
//! header params keep their place, JSON body properties are the other params. The response is
//! the JSON schema of the success answer, or the member a platform's [`Rules`] name for platforms
//! whose specs describe the data. `$ref`s are followed (a schema that contains itself is
//! raw JSON from there on); `allOf` merges, `oneOf`/`anyOf` are raw JSON.
//!
//! Auth, which OpenAPI documents rarely model the way the platforms work: an `access-token`
//! header means `user` (`client` when its description names the client_token), none means
//! `none`; the header itself is the protocol's business. The version is the document's, unless
//! the platform's [`Rules`] fix one (paths that carry their versions).

use crate::model::{only_list, plain_text, usable_name, ApiSpec, Paging, Param, Source, Type};
use crate::{Import, Imported, Importer};
use serde_json::{Map, Value};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct OpenApi {
    pub platform: String,
    /// Host keys of the platform (`name -> URL`), from its `platform.yaml`.
    pub hosts: Vec<(String, String)>,
    /// The platform's own rules, where it has some ([`Rules::NONE`] otherwise).
    pub rules: Rules,
}

/// What a platform's OpenAPI documents mean beyond OpenAPI, from its importer module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The member of a response that holds the data the specs describe (`data`), if any.
    pub data_member: Option<&'static str>,
    /// The spec version of every API, when the document's `info.version` is not it (paths that
    /// carry their versions, `/v1/...`).
    pub version: Option<&'static str>,
}

impl Rules {
    /// A document read as plain OpenAPI.
    pub const NONE: Rules = Rules {
        data_member: None,
        version: None,
    };
}

impl Importer for OpenApi {
    fn format(&self) -> &'static str {
        "openapi"
    }

    fn platform(&self) -> &str {
        &self.platform
    }

    fn default_groups(&self) -> &'static [&'static str] {
        &[]
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let files: Vec<std::path::PathBuf> = if source.is_dir() {
            let mut names = Vec::new();
            for ext in [".json", ".yaml", ".yml"] {
                crate::files_with(source, ext, &mut names, &mut import);
            }
            names.sort();
            names.into_iter().map(|n| source.join(n)).collect()
        } else {
            vec![source.to_path_buf()]
        };
        for file in files {
            let shown = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    import.problem(&shown, format!("cannot read: {e}"));
                    continue;
                }
            };
            let doc: Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(json_err) => match serde_saphyr::from_str::<Value>(&text) {
                    Ok(v) => v,
                    Err(_) => {
                        import.problem(&shown, format!("neither JSON nor YAML: {json_err}"));
                        continue;
                    }
                },
            };
            self.document(&doc, &shown, &mut import);
        }
        import
    }
}

const METHODS: &[&str] = &["get", "post", "put", "delete", "patch"];

impl OpenApi {
    fn document(&self, doc: &Value, shown: &str, import: &mut Import) {
        let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
        if !version.starts_with("3.") {
            import.problem(
                shown,
                format!("`openapi: {version}`: only OpenAPI 3.0 and 3.1 are read"),
            );
            return;
        }
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            import.problem(shown, "no `paths`");
            return;
        };
        let doc_version = doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("1");
        let version = self.rules.version.unwrap_or(doc_version);
        let root_server = doc.pointer("/servers/0/url").and_then(Value::as_str);
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                import.problem(shown, format!("paths.{path} is not an object"));
                continue;
            };
            let methods: Vec<&str> = METHODS
                .iter()
                .copied()
                .filter(|m| item.contains_key(*m))
                .collect();
            let server = item
                .get("servers")
                .and_then(|s| s.pointer("/0/url"))
                .and_then(Value::as_str)
                .or(root_server);
            for method in &methods {
                let Some(op) = item.get(*method).and_then(Value::as_object) else {
                    continue;
                };
                let here = format!("{shown}: {} {path}", method.to_ascii_uppercase());
                let mut name = path
                    .split('/')
                    .filter(|s| !s.is_empty() && !s.starts_with('{'))
                    .collect::<Vec<_>>()
                    .join(".");
                if methods.len() > 1 {
                    name = format!("{name}.{method}");
                }
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                {
                    import.problem(
                        &here,
                        format!("the path gives no usable API name (`{name}`)"),
                    );
                    continue;
                }
                let shared = item.get("parameters");
                let mut cx = Cx {
                    doc,
                    here: &here,
                    import,
                };
                let Some(mut api) = cx.operation(op, shared, &name, version, method, path) else {
                    continue;
                };
                api.response = cx.response(op, self.rules.data_member);
                api.paging = cursor_paging(&api.params, &api.response);
                if api.paging.is_some() {
                    api.source.inferred.push("paging".into());
                }
                api.host = server.and_then(|url| self.host_key(url, &here, import));
                api.source.file = shown.to_owned();
                let group = op
                    .get("tags")
                    .and_then(|t| t.pointer("/0"))
                    .and_then(Value::as_str)
                    .map(feature_name)
                    .filter(|g| !g.is_empty())
                    .unwrap_or_else(|| feature_name(name.split('.').next().unwrap_or("misc")));
                import.apis.push(Imported { group, api });
            }
        }
    }

    /// The platform's host key for a server URL (`https:host` is read as `https://host`).
    fn host_key(&self, url: &str, here: &str, import: &mut Import) -> Option<String> {
        let url = match url
            .strip_prefix("https:")
            .or_else(|| url.strip_prefix("http:"))
        {
            Some(rest) if !rest.starts_with("//") => format!("https://{rest}"),
            _ => url.to_owned(),
        };
        let url = url.trim_end_matches('/');
        match self
            .hosts
            .iter()
            .find(|(_, u)| u.trim_end_matches('/') == url)
        {
            Some((k, _)) if k == "default" => None,
            Some((k, _)) => Some(k.clone()),
            None => {
                import.problem(here, format!("server `{url}` is not among the platform's hosts; add it to platform.yaml (the default host is used)"));
                None
            }
        }
    }
}

/// A group or feature name from a tag: lower case, letters, digits, `_` and `-`.
fn feature_name(tag: &str) -> String {
    tag.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .to_owned()
}

struct Cx<'a> {
    doc: &'a Value,
    here: &'a str,
    import: &'a mut Import,
}

/// `[text](url)` -> (text, url).
fn markdown_link(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    let rest = s.strip_prefix('[')?;
    let (text, rest) = rest.split_once("](")?;
    let (url, tail) = rest.split_once(')')?;
    tail.trim()
        .is_empty()
        .then(|| (text.to_owned(), url.to_owned()))
}

impl<'a> Cx<'a> {
    /// `v` with its `$ref`s followed (at most 32 hops); `None` when one leads nowhere.
    fn resolve<'v>(&self, mut v: &'v Value) -> Option<&'v Value>
    where
        'a: 'v,
    {
        for _ in 0..32 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return Some(v);
            };
            v = r.strip_prefix('#').and_then(|p| self.doc.pointer(p))?;
        }
        None
    }

    fn operation(
        &mut self,
        op: &Map<String, Value>,
        shared: Option<&Value>,
        name: &str,
        version: &str,
        method: &str,
        path: &str,
    ) -> Option<ApiSpec> {
        let mut params: Vec<Param> = Vec::new();
        let mut auth = "none";
        let listed = shared
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        let listed: Vec<&Value> = listed.collect();
        for p in listed {
            let Some(p) = self.resolve(p) else {
                self.import
                    .problem(self.here, "a parameter `$ref` leads nowhere");
                continue;
            };
            let pname = p.get("name").and_then(Value::as_str).unwrap_or("");
            let location = p.get("in").and_then(Value::as_str).unwrap_or("query");
            if location == "header" {
                let lower = pname.to_ascii_lowercase();
                if lower == "access-token" {
                    let desc = p.get("description").and_then(Value::as_str).unwrap_or("");
                    auth = if desc.contains("client_token") {
                        "client"
                    } else {
                        "user"
                    };
                    continue;
                }
                if lower == "content-type" || lower == "accept" {
                    continue;
                }
            }
            if location == "cookie" {
                self.import.problem(
                    self.here,
                    format!("cookie param `{pname}` is not supported, skipped"),
                );
                continue;
            }
            if !usable_name(pname) && location != "header" {
                self.import
                    .problem(self.here, format!("unusable param name `{pname}`, skipped"));
                continue;
            }
            if params.iter().any(|q| q.name == pname) {
                self.import.problem(
                    self.here,
                    format!("duplicate param `{pname}`, the first is kept"),
                );
                continue;
            }
            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
            let ty = self
                .schema_type(&schema, &mut Vec::new(), 0)
                .unwrap_or(Type::Scalar("string"));
            let mut param = Param::new(pname, ty);
            param.required =
                p.get("required").and_then(Value::as_bool) == Some(true) || location == "path";
            param.location = Some(location.to_owned());
            param.description = p
                .get("description")
                .and_then(Value::as_str)
                .and_then(plain_text);
            param.example = p
                .get("example")
                .or_else(|| schema.get("example"))
                .filter(|e| !e.is_null())
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned));
            params.push(param);
        }
        if let Some(body) = op.get("requestBody") {
            let schema = self
                .resolve(body)
                .and_then(|b| b.pointer("/content/application~1json/schema"));
            if let Some(schema) = schema {
                match self.schema_type(schema, &mut Vec::new(), 0) {
                    Some(Type::Object(fields)) => {
                        for f in fields {
                            if params.iter().any(|q| q.name == f.name) {
                                self.import.problem(
                                    self.here,
                                    format!(
                                        "body property `{}` is also a param, the param is kept",
                                        f.name
                                    ),
                                );
                                continue;
                            }
                            params.push(f);
                        }
                    }
                    Some(_) => self
                        .import
                        .problem(self.here, "the JSON body is not an object; not imported"),
                    None => {}
                }
            } else if body.pointer("/content/multipart~1form-data").is_some() {
                self.import
                    .problem(self.here, "multipart bodies are not imported");
            }
        }
        let description = op.get("description").and_then(Value::as_str).unwrap_or("");
        let (summary, doc_url) = match markdown_link(description) {
            Some((text, url)) => (plain_text(&text), Some(url)),
            None => (
                op.get("summary")
                    .and_then(Value::as_str)
                    .and_then(plain_text),
                None,
            ),
        };
        let description = if doc_url.is_some() {
            None
        } else {
            plain_text(description)
        };
        Some(ApiSpec {
            name: name.to_owned(),
            version: version.to_owned(),
            description: description.filter(|d| Some(d) != summary.as_ref()),
            summary,
            auth: auth.to_owned(),
            method: method.to_ascii_uppercase(),
            path: Some(path.to_owned()),
            doc_url,
            params,
            source: Source {
                format: "openapi".into(),
                inferred: vec!["auth".into()],
                ..Source::default()
            },
            ..ApiSpec::default()
        })
    }

    fn response(&mut self, op: &Map<String, Value>, data_member: Option<&str>) -> Vec<Param> {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return Vec::new();
        };
        let ok = ["200", "201", "default"]
            .iter()
            .find_map(|code| responses.get(*code))
            .and_then(|r| self.resolve(r))
            .and_then(|r| r.pointer("/content/application~1json/schema"));
        let Some(schema) = ok else {
            return Vec::new();
        };
        let schema = schema.clone();
        let mut ty = self.schema_type(&schema, &mut Vec::new(), 0);
        if let (Some(member), Some(Type::Object(fields))) = (data_member, &ty) {
            ty = fields
                .iter()
                .find(|f| f.name == member)
                .map(|f| f.ty.clone());
        }
        match ty {
            Some(Type::Object(fields)) => fields,
            _ => Vec::new(),
        }
    }

    /// A schema as a type; `None` when it has none that can be read.
    fn schema_type(
        &mut self,
        schema: &Value,
        stack: &mut Vec<String>,
        depth: usize,
    ) -> Option<Type> {
        if depth > 24 {
            return Some(Type::Scalar("json"));
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            if stack.iter().any(|s| s == r) {
                return Some(Type::Scalar("json"));
            }
            let Some(target) = r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) else {
                self.import.problem(
                    self.here,
                    format!("`$ref: {r}` leads nowhere; read as JSON"),
                );
                return Some(Type::Scalar("json"));
            };
            stack.push(r.to_owned());
            let t = self.schema_type(&target.clone(), stack, depth + 1);
            stack.pop();
            return t;
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut fields: Vec<Param> = Vec::new();
            for part in parts {
                if let Some(Type::Object(more)) = self.schema_type(part, stack, depth + 1) {
                    for f in more {
                        if !fields.iter().any(|g| g.name == f.name) {
                            fields.push(f);
                        }
                    }
                }
            }
            return Some(Type::Object(fields));
        }
        if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
            return Some(Type::Scalar("json"));
        }
        // 3.1 writes `type: [string, "null"]`.
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("string"),
            _ if schema.get("properties").is_some() => "object",
            _ => "",
        };
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        Some(match ty {
            "string" => Type::Scalar(match format {
                "date-time" | "date" => "datetime",
                "binary" => "file",
                "decimal" => "decimal",
                _ => "string",
            }),
            "integer" => Type::Scalar("long"),
            "number" => Type::Scalar("double"),
            "boolean" => Type::Scalar("boolean"),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                Type::Array(Box::new(
                    self.schema_type(&items, stack, depth + 1)
                        .unwrap_or(Type::Scalar("json")),
                ))
            }
            "object" => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                    return Some(Type::Scalar("json"));
                };
                let mut fields = Vec::new();
                for (name, prop) in props {
                    if !usable_name(name) {
                        self.import.problem(
                            self.here,
                            format!("unusable property name `{name}`, skipped"),
                        );
                        continue;
                    }
                    let Some(t) = self.schema_type(prop, stack, depth + 1) else {
                        continue;
                    };
                    let mut f = Param::new(name.clone(), t);
                    f.required = required.contains(&name.as_str());
                    let described = self.resolve(prop).unwrap_or(prop);
                    f.description = prop
                        .get("description")
                        .or_else(|| described.get("description"))
                        .and_then(Value::as_str)
                        .and_then(plain_text);
                    f.example = prop
                        .get("example")
                        .filter(|e| !e.is_null())
                        .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned));
                    fields.push(f);
                }
                Type::Object(fields)
            }
            "" => Type::Scalar("json"),
            other => {
                self.import.problem(
                    self.here,
                    format!("unknown schema type `{other}`; read as JSON"),
                );
                Type::Scalar("json")
            }
        })
    }
}

/// Cursor paging where the names make it certain (Douyin's convention): `cursor` and `count`
/// (or `size`) in, `cursor`, `has_more` (a boolean) and exactly one list out.
fn cursor_paging(params: &[Param], response: &[Param]) -> Option<Paging> {
    let named = |list: &[Param], n: &str| list.iter().find(|p| p.name == n).cloned();
    let scalar = |p: &Param| matches!(p.ty, Type::Scalar("long" | "string"));
    named(params, "cursor").filter(scalar)?;
    let size = named(params, "count")
        .or_else(|| named(params, "size"))
        .filter(|p| p.ty == Type::Scalar("long"))?;
    named(response, "cursor").filter(scalar)?;
    named(response, "has_more").filter(|p| p.ty == Type::Scalar("boolean"))?;
    let items = only_list(response)?;
    Some(Paging {
        style: "cursor",
        position: "cursor".into(),
        size: size.name.clone(),
        max_size: size.max.and_then(|m| u32::try_from(m).ok()),
        items: items.name.clone(),
        total: None,
        has_next: Some("has_more".into()),
        next_cursor: Some("cursor".into()),
        backward: false,
    })
}
