//! `doudian-go-sdk`: the official Doudian Go SDK's `api/<method_with_underscore>/` folders.
//!
//! The method comes from `GetUrlPath()` (`/order/orderDetail` is `order.orderDetail`), params
//! from the request's `Param` struct and the data from the response's `Data` struct, wire names
//! from the `json` tags and descriptions from the field comments.
//!
//! What the SDK does not say, and the rule chosen: version `2` (the `v=2` of every Doudian
//! call), method `POST`, auth `user` (every API but the token ones takes `access_token`; those
//! are hand-written). Required params are not marked reliably (a pointer or `omitempty` says
//! nothing about it), so none is required: `Request::new` takes no arguments and the platform
//! answers a missing param with its own error.

/// What an OpenAPI document of Doudian means: the specs describe the answer's `data`.
pub const OPENAPI_RULES: crate::openapi::Rules = crate::openapi::Rules {
    data_member: Some("data"),
    version: None,
};

use crate::golang::{returned_string, structs, GoStruct};
use crate::model::{plain_text, usable_name, ApiSpec, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct DoudianGoSdk;

impl Importer for DoudianGoSdk {
    fn format(&self) -> &'static str {
        "doudian-go-sdk"
    }

    fn platform(&self) -> &str {
        "doudian"
    }

    fn default_groups(&self) -> &'static [&'static str] {
        &["order", "afterSale", "logistics", "product", "sku", "shop"]
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        // Either the SDK root or its `api/` folder.
        let root = if source.join("api").is_dir() {
            source.join("api")
        } else {
            source.to_path_buf()
        };
        let mut files = Vec::new();
        files_with(&root, "_request.go", &mut files, &mut import);
        for rel in files {
            if let Some(api) = read_api(&root, &rel, &mut import) {
                let group = api.name.split('.').next().unwrap_or("misc").to_owned();
                import.apis.push(Imported { group, api });
            }
        }
        import
    }
}

fn read_api(root: &Path, rel: &str, import: &mut Import) -> Option<ApiSpec> {
    let request = std::fs::read_to_string(root.join(rel))
        .map_err(|e| import.problem(rel, format!("cannot read: {e}")))
        .ok()?;
    let Some(path) = returned_string(&request, "GetUrlPath") else {
        import.problem(rel, "no `GetUrlPath()` returning the method path");
        return None;
    };
    let name = path.trim_matches('/').replace('/', ".");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._".contains(c))
    {
        import.problem(
            rel,
            format!("`GetUrlPath()` gives `{path}`, not a method path"),
        );
        return None;
    }
    let req_structs = structs(&request);
    let params = match req_structs
        .iter()
        .find(|s| s.name.ends_with("Request"))
        .and_then(|r| r.fields.iter().find(|f| f.go_name == "Param"))
    {
        Some(param) => {
            let ty = param.ty.trim_start_matches('*');
            fields_of(ty, &req_structs, rel, import, &mut Vec::new())
        }
        None => {
            import.problem(rel, "no request struct with a `Param` field");
            return None;
        }
    };
    let mut note = None;
    let response_rel = rel
        .replace("/request/", "/response/")
        .replace("_request.go", "_response.go");
    let response = match std::fs::read_to_string(root.join(&response_rel)) {
        Ok(src) => {
            let resp_structs = structs(&src);
            match resp_structs
                .iter()
                .find(|s| s.name.ends_with("Response"))
                .and_then(|r| r.fields.iter().find(|f| f.wire.as_deref() == Some("data")))
            {
                Some(data) => {
                    let ty = data.ty.trim_start_matches('*');
                    if resp_structs.iter().any(|s| s.name == ty) {
                        fields_of(ty, &resp_structs, &response_rel, import, &mut Vec::new())
                    } else {
                        // A list or a scalar: the spec language describes object data only.
                        note = Some(format!(
                            "the data is `{ty}`, not an object: read it from `reply.raw()`"
                        ));
                        Vec::new()
                    }
                }
                None => {
                    import.problem(&response_rel, "no response struct with a `data` field");
                    Vec::new()
                }
            }
        }
        Err(e) => {
            import.problem(&response_rel, format!("cannot read: {e}"));
            Vec::new()
        }
    };
    Some(ApiSpec {
        name,
        version: "2".into(),
        auth: "user".into(),
        method: "POST".into(),
        doc_url: None,
        params,
        response,
        source: Source {
            format: "doudian-go-sdk".into(),
            file: rel.to_owned(),
            inferred: vec![
                "version".into(),
                "method".into(),
                "auth".into(),
                "required".into(),
            ],
            note,
        },
        ..ApiSpec::default()
    })
}

/// The fields of struct `name` as params; `stack` guards against recursive types.
fn fields_of(
    name: &str,
    all: &[GoStruct],
    rel: &str,
    import: &mut Import,
    stack: &mut Vec<String>,
) -> Vec<Param> {
    let Some(s) = all.iter().find(|s| s.name == name) else {
        import.problem(rel, format!("struct `{name}` is not in the file"));
        return Vec::new();
    };
    if stack.iter().any(|n| n == name) {
        import.problem(
            rel,
            format!("struct `{name}` contains itself; read as raw JSON there"),
        );
        return Vec::new();
    }
    stack.push(name.to_owned());
    let mut out: Vec<Param> = Vec::new();
    for f in &s.fields {
        let Some(wire) = &f.wire else {
            continue;
        };
        let here = format!("{rel}:{}", f.line);
        if !usable_name(wire) {
            import.problem(&here, format!("unusable wire name `{wire}`, skipped"));
            continue;
        }
        if out.iter().any(|p| &p.name == wire) {
            import.problem(
                &here,
                format!("duplicate field `{wire}`, the first is kept"),
            );
            continue;
        }
        let Some(ty) = go_type(&f.ty, all, rel, import, stack) else {
            import.problem(&here, format!("`{wire}`: unknown type `{}`, skipped", f.ty));
            continue;
        };
        let mut p = Param::new(wire.clone(), ty);
        p.description = f.comment.as_deref().and_then(plain_text);
        out.push(p);
    }
    stack.pop();
    out
}

fn go_type(
    t: &str,
    all: &[GoStruct],
    rel: &str,
    import: &mut Import,
    stack: &mut Vec<String>,
) -> Option<Type> {
    let t = t.trim_start_matches('*');
    if let Some(elem) = t.strip_prefix("[]") {
        return go_type(elem, all, rel, import, stack).map(|e| Type::Array(Box::new(e)));
    }
    if t.starts_with("map[") || t == "interface{}" || t == "any" || t == "json.RawMessage" {
        return Some(Type::Scalar("json"));
    }
    Some(Type::Scalar(match t {
        "string" => "string",
        "int" | "int8" | "int16" | "int32" | "int64" | "uint" | "uint8" | "uint16" | "uint32"
        | "uint64" => "long",
        "float32" | "float64" => "double",
        "bool" => "boolean",
        named if all.iter().any(|s| s.name == named) => {
            return Some(Type::Object(fields_of(named, all, rel, import, stack)));
        }
        _ => return None,
    }))
}
