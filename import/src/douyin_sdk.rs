//! `douyin-sdk`: the official Douyin OpenAPI SDK for Node (`@open-dy/open_api_sdk`, generated with
//! the Tea generator). The compiled `dist/client.js` is the catalog: one `async <fn>(request)` per
//! operation, whose literal assignments give the method, `pathname`, the `host` header, the
//! content type, the header the token goes to, and the wire names of the query (`queryParam`) and
//! the body (`bodyParam`); its model classes give each member's wire name (`static names()`) and
//! type (`static types()`); `dist/client.d.ts` marks required members (no `?`). The retry loop
//! around each call is not read.
//!
//! Rules: the name is the path with `.` for `/` (as the OpenAPI documents' operations are named),
//! version `1`; the host becomes the platform's host key (`platform.yaml`); an `access-token`
//! header means a user token (`user`, inferred: the SDK does not tell a user token from a
//! client_token); a token in another header (`access_token`, `x-token`) is a required secret
//! header param the caller passes, with auth `none`. Types: `string`, `boolean`; `number` `long`
//! in a request and `double` in an answer (the SDK has no integer widths, so `types` is
//! inferred); arrays; maps raw JSON; `Readable` an upload; a model class an object. The spec
//! describes the answer's `data` member.

/// What Douyin's OpenAPI documents mean: the specs describe the answer's `data`, and the paths
/// carry their versions (`/v1/`) while the specs use `1`.
pub const OPENAPI_RULES: crate::openapi::Rules = crate::openapi::Rules {
    data_member: Some("data"),
    version: Some("1"),
};

use crate::model::{usable_name, ApiSpec, Param, Source, Type};
use crate::{Import, Imported, Importer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct DouyinSdk {
    /// The platform's hosts (`platform.yaml`): key -> URL.
    pub hosts: Vec<(String, String)>,
}

impl Importer for DouyinSdk {
    fn format(&self) -> &'static str {
        "douyin-sdk"
    }

    fn platform(&self) -> &str {
        "douyin"
    }

    /// What ByteDance's own client sends wins over the scraped documents.
    fn wins(&self) -> &'static [&'static str] {
        &["method", "host", "path"]
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let dist = ["dist", "package/dist", "."]
            .iter()
            .map(|p| source.join(p))
            .find(|p| p.join("client.js").is_file())
            .unwrap_or_else(|| source.to_owned());
        let (js, dts) = match (
            std::fs::read_to_string(dist.join("client.js")),
            std::fs::read_to_string(dist.join("client.d.ts")),
        ) {
            (Ok(js), Ok(dts)) => (js, dts),
            _ => {
                import.problem(
                    dist.display().to_string(),
                    "no readable `client.js` and `client.d.ts`",
                );
                return import;
            }
        };
        let models = models(&js);
        let required = required(&dts);
        for block in js.split("\n    async ").skip(1) {
            let Some(op) = operation(block) else {
                continue;
            };
            let mut cx = Cx {
                models: &models,
                required: &required,
                import: &mut import,
                stack: Vec::new(),
            };
            if let Some(api) = cx.api(&op, &self.hosts) {
                let segments: Vec<&str> = api.name.split('.').collect();
                let group = match segments.first() {
                    Some(&"api") => segments.get(1),
                    first => first,
                }
                .map_or("misc", |s| s)
                .to_owned();
                import.apis.push(Imported { group, api });
            }
        }
        import
    }
}

/// A model class: member -> (wire name, type expression).
type Model = BTreeMap<String, (String, String)>;

/// Every `class X extends $tea.Model` of the JS with its members.
fn models(js: &str) -> BTreeMap<String, Model> {
    let mut out = BTreeMap::new();
    for part in js.split("\nclass ").skip(1) {
        let Some((name, rest)) = part.split_once(" extends $tea.Model {") else {
            continue;
        };
        let entries = |method: &str| -> Vec<(String, String)> {
            rest.split(&format!("static {method}() {{"))
                .nth(1)
                .and_then(|s| s.split("return {").nth(1))
                .and_then(|s| s.split("\n        };").next())
                .unwrap_or_default()
                .lines()
                .filter_map(|l| {
                    let (k, v) = l.trim().trim_end_matches(',').split_once(": ")?;
                    Some((k.trim().to_owned(), v.trim().to_owned()))
                })
                .collect()
        };
        let types: BTreeMap<String, String> = entries("types").into_iter().collect();
        let model = entries("names")
            .into_iter()
            .filter_map(|(member, wire)| {
                let wire = wire.trim_matches('\'').to_owned();
                let ty = types.get(&member)?.clone();
                Some((member, (wire, ty)))
            })
            .collect();
        out.insert(name.trim().to_owned(), model);
    }
    out
}

/// The required members of each class of the `.d.ts` (declared without `?`).
fn required(dts: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for part in dts.split("export declare class ").skip(1) {
        let Some((name, rest)) = part.split_once(" extends $tea.Model {") else {
            continue;
        };
        let body = rest.split("static names()").next().unwrap_or_default();
        let members = body
            .lines()
            .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
            .filter_map(|l| {
                let (k, _) = l.trim().split_once(':')?;
                (!k.ends_with('?')).then(|| k.to_owned())
            })
            .collect();
        out.insert(name.trim().to_owned(), members);
    }
    out
}

/// What one method's literal assignments say.
#[derive(Debug, Default)]
struct Op {
    method: String,
    path: String,
    host: String,
    content_type: String,
    /// The header the token goes to, if any.
    token_header: Option<String>,
    query: Vec<String>,
    body: Vec<String>,
    response: String,
}

/// The string literal assigned by `<lhs> = "…"` (or a template literal) in `block`.
fn assigned<'a>(block: &'a str, lhs: &str) -> Option<&'a str> {
    let after = block.split(&format!("{lhs} = ")).nth(1)?;
    let quote = after.chars().next()?;
    after[1..].split(quote).next()
}

/// The keys of the object literal `let <name> = { … };`.
fn keys(block: &str, name: &str) -> Vec<String> {
    block
        .split(&format!("let {name} = {{"))
        .nth(1)
        .and_then(|s| s.split("};").next())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Some(l.trim().split_once(':')?.0.trim().to_owned()))
        .filter(|k| !k.is_empty())
        .collect()
}

fn operation(block: &str) -> Option<Op> {
    let block = block.split("\n    }\n").next()?;
    let path = assigned(block, "request_.pathname")?.to_owned();
    let response = block
        .split("new ")
        .filter_map(|s| s.split("({})").next())
        .find(|s| s.ends_with("Response") && s.chars().all(char::is_alphanumeric))?
        .to_owned();
    let token_header = ["access-token", "access_token", "x-token"]
        .into_iter()
        .find(|h| block.contains(&format!("request_.headers[\"{h}\"] = ")))
        .map(str::to_owned);
    Some(Op {
        method: assigned(block, "request_.method")?.to_owned(),
        path,
        host: assigned(block, "request_.headers[\"host\"]")
            .unwrap_or_default()
            .to_owned(),
        content_type: assigned(block, "request_.headers[\"content-type\"]")
            .unwrap_or_default()
            .to_owned(),
        token_header,
        query: keys(block, "queryParam"),
        body: keys(block, "bodyParam"),
        response,
    })
}

struct Cx<'a> {
    models: &'a BTreeMap<String, Model>,
    required: &'a BTreeMap<String, BTreeSet<String>>,
    import: &'a mut Import,
    stack: Vec<String>,
}

impl Cx<'_> {
    fn api(&mut self, op: &Op, hosts: &[(String, String)]) -> Option<ApiSpec> {
        let shown = op.path.clone();
        let name = op.path.trim_matches('/').replace('/', ".");
        if !usable_name(&name) {
            self.import
                .problem(&shown, format!("path `{}` gives no usable name", op.path));
            return None;
        }
        let host = match hosts.iter().find(|(_, url)| {
            url.trim_end_matches('/')
                .ends_with(&format!("//{}", op.host))
        }) {
            Some((key, _)) => (key != "default").then(|| key.clone()),
            None => {
                self.import.problem(
                    &shown,
                    format!(
                        "host `{}` is not in the platform's hosts; not imported",
                        op.host
                    ),
                );
                return None;
            }
        };
        let request_class = op.response.replace("Response", "Request");
        let request = self.models.get(&request_class);
        let required = self.required.get(&request_class);
        let by_wire = |wire: &str| request.and_then(|m| m.iter().find(|(_, (w, _))| w == wire));
        // Uploads go as multipart, which the protocol builds when a call has files.
        let body_in = if op
            .content_type
            .starts_with("application/x-www-form-urlencoded")
        {
            Some("form")
        } else if op.content_type.starts_with("multipart/form-data") {
            None
        } else {
            Some("body")
        };
        let mut params: Vec<Param> = Vec::new();
        for (wires, location) in [(&op.query, Some("query")), (&op.body, body_in)] {
            for wire in wires {
                if !usable_name(wire) || params.iter().any(|p| &p.name == wire) {
                    continue;
                }
                let (ty, req) = match by_wire(wire) {
                    Some((member, (_, t))) => (
                        self.ty(t, true)?,
                        required.is_some_and(|r| r.contains(member)),
                    ),
                    None => (Type::Scalar("string"), false),
                };
                let mut p = Param::new(wire.clone(), ty);
                p.required = req;
                p.location = location.map(str::to_owned);
                params.push(p);
            }
        }
        let auth = match op.token_header.as_deref() {
            Some("access-token") => "user",
            Some(header) => {
                let mut p = Param::new(header, Type::Scalar("string"));
                p.required = true;
                p.location = Some("header".into());
                p.description = Some("the access token, sent in this header".into());
                params.insert(0, p);
                "none"
            }
            None => "none",
        };
        let response = match self.models.get(&op.response).and_then(|m| {
            m.values()
                .find(|(w, _)| w == "data")
                .map(|(_, t)| t.clone())
        }) {
            Some(t) => match self.ty(&t, false) {
                Some(Type::Object(fields)) => fields,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        Some(ApiSpec {
            name,
            version: "1".into(),
            auth: auth.into(),
            method: op.method.to_ascii_uppercase(),
            host,
            path: Some(op.path.clone()),
            params,
            response,
            source: Source {
                format: "douyin-sdk".into(),
                file: "dist/client.js".into(),
                inferred: ["version", "auth", "types"].map(String::from).to_vec(),
                note: Some(format!(
                    "the SDK's `{}`",
                    op.response.trim_end_matches("Response")
                )),
            },
            ..ApiSpec::default()
        })
    }

    /// The spec type of a `types()` expression; `request` picks the width of `number`.
    fn ty(&mut self, t: &str, request: bool) -> Option<Type> {
        let t = t.trim();
        if t.starts_with('{') {
            if t.contains("'map'") {
                return Some(Type::Scalar("json"));
            }
            let item = t
                .split("'itemType':")
                .nth(1)?
                .trim()
                .trim_end_matches('}')
                .trim();
            return Some(Type::Array(Box::new(self.ty(item, request)?)));
        }
        Some(Type::Scalar(match t.trim_matches('\'') {
            "string" => "string",
            "number" if request => "long",
            "number" => "double",
            "boolean" => "boolean",
            "Readable" | "$Util.FileField" => "file",
            "any" => "json",
            class => return Some(self.class(class, request)),
        }))
    }

    fn class(&mut self, class: &str, request: bool) -> Type {
        let Some(model) = self.models.get(class) else {
            self.import.problem(
                "dist/client.js",
                format!("unknown type `{class}`, read as JSON"),
            );
            return Type::Scalar("json");
        };
        if self.stack.iter().any(|s| s == class) {
            return Type::Scalar("json");
        }
        self.stack.push(class.to_owned());
        let required = self.required.get(class);
        let mut fields: Vec<Param> = Vec::new();
        for (member, (wire, t)) in model {
            if !usable_name(wire) || fields.iter().any(|f| &f.name == wire) {
                continue;
            }
            if let Some(ty) = self.ty(t, request) {
                let mut p = Param::new(wire.clone(), ty);
                p.required = request && required.is_some_and(|r| r.contains(member));
                fields.push(p);
            }
        }
        self.stack.pop();
        Type::Object(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JS: &str = r#"
class ListRequest extends $tea.Model {
    static names() {
        return {
            openId: 'open_id',
            items: 'items',
            header: 'header',
            accessToken: 'access_token',
        };
    }
    static types() {
        return {
            openId: 'string',
            items: { 'type': 'array', 'itemType': ListRequestItem },
            header: { 'type': 'map', 'keyType': 'string', 'valueType': 'string' },
            accessToken: 'string',
        };
    }
}
class ListRequestItem extends $tea.Model {
    static names() {
        return {
            count: 'count',
        };
    }
    static types() {
        return {
            count: 'number',
        };
    }
}
class ListResponse extends $tea.Model {
    static names() {
        return {
            data: 'data',
            errNo: 'err_no',
        };
    }
    static types() {
        return {
            data: ListResponseData,
            errNo: 'number',
        };
    }
}
class ListResponseData extends $tea.Model {
    static names() {
        return {
            total: 'total',
        };
    }
    static types() {
        return {
            total: 'number',
        };
    }
}
class Client {
    async list(request) {
                request_.method = "POST";
                request_.pathname = "/api/thing/v1/list/";
                request_.headers["host"] = "open.douyin.com";
                request_.headers["content-type"] = "application/json";
                let queryParam = {
                    open_id: queryMap["open_id"],
                };
                let bodyParam = {
                    items: bodyMap["items"],
                };
                request_.headers["access-token"] = token;
                return $tea.cast(Object.assign({}, result), new ListResponse({}));
    }
"#;

    const DTS: &str = "export declare class ListRequest extends $tea.Model {\n    openId: string;\n    items?: ListRequestItem[];\n    static names(): {\n";

    #[test]
    fn an_operation_and_its_models_are_read() {
        let models = models(JS);
        let required = required(DTS);
        let block = JS.split("\n    async ").nth(1).unwrap();
        let op = operation(block).unwrap();
        assert_eq!(op.query, ["open_id"]);
        assert_eq!(op.body, ["items"]);
        let mut import = Import::default();
        let mut cx = Cx {
            models: &models,
            required: &required,
            import: &mut import,
            stack: Vec::new(),
        };
        let hosts = [("open".to_owned(), "https://open.douyin.com".to_owned())];
        let api = cx.api(&op, &hosts).unwrap();
        assert_eq!(api.name, "api.thing.v1.list");
        assert_eq!(api.host.as_deref(), Some("open"));
        assert_eq!(api.auth, "user");
        assert_eq!(api.params[0].name, "open_id");
        assert!(api.params[0].required);
        assert_eq!(api.params[0].location.as_deref(), Some("query"));
        let Type::Array(item) = &api.params[1].ty else {
            panic!("a list")
        };
        assert!(matches!(item.as_ref(), Type::Object(f) if f[0].ty == Type::Scalar("long")));
        assert_eq!(api.response[0].name, "total");
        assert_eq!(api.response[0].ty, Type::Scalar("double"));
        // An unknown host is not imported.
        assert!(cx.api(&op, &[]).is_none());
    }
}
