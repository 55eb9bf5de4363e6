//! `doudian-skit`: a typed .NET SDK of Doudian (SKIT.FlurlHttpClient.ByteDance.DouyinShop). Each
//! operation is a request and a response model class (`Models/<Group>/<X>Request.cs`,
//! `<X>Response.cs`) whose class doc names it: `表示 [POST] /address/list 接口的请求。`. A property
//! with `JsonPropertyName("<wire>")` is on the wire, with its C# type and a doc comment (`获取或设置…`,
//! a default as `默认值：…`); objects are nested classes (`Types.Address`); the response's data is
//! the type argument of `DouyinShopResponse<…>`. The `Extensions/` files give each path's doc page.
//!
//! Rules: the name is the path with `.` for `/` (`/address/list` is `address.list`, as Doudian's
//! methods are named), version `2` (the SDK's default), `POST`, auth `user`. Types: integers
//! `long`, `double`/`float` `double`, `decimal` `decimal`, `DateTimeOffset` `datetime`, `bool`
//! `boolean`, `T[]`/`IList<T>`/`List<T>` lists, `IDictionary<…>` and `object` raw JSON. Required
//! flags are not facts here (nullable `T?` or not is the SDK's choice): `required` is inferred
//! false.

use crate::model::{plain_text, usable_name, ApiSpec, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct DoudianSkit;

impl Importer for DoudianSkit {
    fn format(&self) -> &'static str {
        "doudian-skit"
    }

    fn platform(&self) -> &str {
        "doudian"
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let root = [
            "src/SKIT.FlurlHttpClient.ByteDance.DouyinShop",
            "skit/src/SKIT.FlurlHttpClient.ByteDance.DouyinShop",
        ]
        .iter()
        .map(|p| source.join(p))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| source.to_owned());
        let docs = doc_pages(&root.join("Extensions"), &mut import);
        let models = root.join("Models");
        let mut files = Vec::new();
        files_with(&models, "Request.cs", &mut files, &mut import);
        for rel in files {
            let response_rel = rel.replace("Request.cs", "Response.cs");
            let read = |r: &str| std::fs::read_to_string(models.join(r));
            let (Ok(req), Ok(resp)) = (read(&rel), read(&response_rel)) else {
                import.problem(&rel, "cannot read the request or its response class");
                continue;
            };
            let Some(path) = operation_path(&req) else {
                import.problem(&rel, "its class doc names no `[POST] /path`");
                continue;
            };
            let name = path.trim_matches('/').replace('/', ".");
            if !usable_name(&name) {
                import.problem(&rel, format!("path `{path}` gives no usable name"));
                continue;
            }
            let mut cx = Cx {
                rel: &rel,
                import: &mut import,
            };
            let req_classes = classes(&req);
            let params = req_classes
                .iter()
                .find(|c| c.path.ends_with("Request") && !c.path.contains('.'))
                .map(|c| cx.fields(&req_classes, c, &mut Vec::new(), true))
                .unwrap_or_default();
            let resp_classes = classes(&resp);
            let response = match data_type(&resp) {
                Some(t) => match cx.ty(&resp_classes, "", &t, &mut Vec::new()) {
                    Some(Type::Object(fields)) => fields,
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
            let group = rel.split('/').next().unwrap_or("misc").to_ascii_lowercase();
            import.apis.push(Imported {
                group,
                api: ApiSpec {
                    name,
                    version: "2".into(),
                    auth: "user".into(),
                    method: "POST".into(),
                    doc_url: docs.get(&path).cloned(),
                    params,
                    response,
                    source: Source {
                        format: "doudian-skit".into(),
                        file: rel.clone(),
                        inferred: ["version", "auth", "required"].map(String::from).to_vec(),
                        note: None,
                    },
                    ..ApiSpec::default()
                },
            });
        }
        import
    }
}

/// `/address/list` of a class doc's `[POST] /address/list 接口`.
fn operation_path(src: &str) -> Option<String> {
    let after = src.split("[POST] ").nth(1)?;
    let path = after.split_whitespace().next()?;
    path.starts_with('/').then(|| path.to_owned())
}

/// The `REF` doc page of each operation in the `Extensions/` files, by path.
fn doc_pages(dir: &Path, import: &mut Import) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut files = Vec::new();
    if dir.is_dir() {
        files_with(dir, ".cs", &mut files, import);
    }
    for rel in files {
        let Ok(src) = std::fs::read_to_string(dir.join(&rel)) else {
            continue;
        };
        for block in src.split("/// <summary>").skip(1) {
            let head = block.split("</summary>").next().unwrap_or_default();
            let (Some(path), Some(url)) = (
                operation_path(head),
                head.split("<![CDATA[")
                    .nth(1)
                    .and_then(|u| u.split("]]>").next()),
            ) else {
                continue;
            };
            out.insert(path, url.trim().to_owned());
        }
    }
    out
}

/// The type argument of `DouyinShopResponse<…>`: the data.
fn data_type(src: &str) -> Option<String> {
    let after = src.split(": DouyinShopResponse<").nth(1)?;
    let end = after.find(">\n").or_else(|| after.find(">\r"))?;
    Some(after[..end].trim().to_owned())
}

/// A class of a file: its dotted path (`AddressListResponse.Types.Data`) and its properties.
#[derive(Debug)]
struct Class {
    path: String,
    props: Vec<Prop>,
}

#[derive(Debug)]
struct Prop {
    wire: String,
    ty: String,
    doc: Option<String>,
    default: Option<String>,
}

/// Every class of a file with its wire properties, found line by line with the braces' depth.
fn classes(src: &str) -> Vec<Class> {
    let mut out: Vec<Class> = Vec::new();
    // (class index in `out`, or None for a `static class Types`; the depth its body opened at)
    let mut open: Vec<(Option<usize>, String, usize)> = Vec::new();
    let mut depth = 0usize;
    let (mut doc, mut wire): (Vec<String>, Option<String>) = (Vec::new(), None);
    let mut pending: Option<(Option<usize>, String)> = None;
    for line in src.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("///") {
            doc.push(rest.trim().to_owned());
        } else if let Some(w) = l
            .strip_prefix("[System.Text.Json.Serialization.JsonPropertyName(\"")
            .and_then(|w| w.split('"').next())
        {
            wire = Some(w.to_owned());
        } else if let Some(decl) = l
            .split(" class ")
            .nth(1)
            .filter(|_| l.starts_with("public "))
        {
            let name = decl
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            let parent = open.last().map(|(_, p, _)| p.clone());
            let path = match parent {
                Some(p) => format!("{p}.{name}"),
                None => name.to_owned(),
            };
            let index = (name != "Types").then(|| {
                out.push(Class {
                    path: path.clone(),
                    props: Vec::new(),
                });
                out.len() - 1
            });
            pending = Some((index, path));
            doc.clear();
        } else if l.contains("{ get; set; }") && l.starts_with("public ") {
            if let (Some(w), Some((Some(i), _, _))) = (wire.take(), open.last()) {
                let ty = l
                    .trim_start_matches("public ")
                    .split(" { get; set; }")
                    .next()
                    .and_then(|d| d.rsplit_once(' '))
                    .map(|(t, _)| t.trim().to_owned())
                    .unwrap_or_default();
                let text = doc.join("\n");
                let summary = text
                    .split("<summary>")
                    .nth(1)
                    .and_then(|s| s.split("</summary>").next())
                    .unwrap_or_default();
                let default = summary
                    .split("默认值：")
                    .nth(1)
                    .and_then(|d| d.split("</para>").next())
                    .map(|d| d.trim().to_owned());
                let first = summary
                    .lines()
                    .map(str::trim)
                    .find(|s| !s.is_empty() && !s.starts_with("<para>"))
                    .map(|s| s.trim_start_matches("获取或设置").to_owned());
                out[*i].props.push(Prop {
                    wire: w,
                    ty,
                    doc: first.and_then(|d| plain_text(&d)),
                    default,
                });
            }
            doc.clear();
        } else if !l.starts_with('[') && !l.is_empty() {
            doc.clear();
        }
        for c in l.chars() {
            match c {
                '{' => {
                    depth += 1;
                    if let Some((i, path)) = pending.take() {
                        open.push((i, path, depth));
                    }
                }
                '}' => {
                    if open.last().is_some_and(|(_, _, d)| *d == depth) {
                        open.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
    }
    out
}

struct Cx<'a> {
    rel: &'a str,
    import: &'a mut Import,
}

impl Cx<'_> {
    /// The fields of `class`; `top` for a request's own params, the only ones with defaults.
    fn fields(
        &mut self,
        all: &[Class],
        class: &Class,
        stack: &mut Vec<String>,
        top: bool,
    ) -> Vec<Param> {
        stack.push(class.path.clone());
        let mut out: Vec<Param> = Vec::new();
        for p in &class.props {
            if !usable_name(&p.wire) || out.iter().any(|o| o.name == p.wire) {
                self.import.problem(
                    self.rel,
                    format!(
                        "{}.{}: unusable or duplicate name, skipped",
                        class.path, p.wire
                    ),
                );
                continue;
            }
            let Some(ty) = self.ty(all, &class.path, &p.ty, stack) else {
                continue;
            };
            let mut param = Param::new(p.wire.clone(), ty);
            param.description = p.doc.clone();
            param.default = p.default.clone().filter(|d| top && !d.is_empty());
            out.push(param);
        }
        stack.pop();
        out
    }

    /// The spec type of C# type `t` used in class `at`.
    fn ty(&mut self, all: &[Class], at: &str, t: &str, stack: &mut Vec<String>) -> Option<Type> {
        let t = t.trim().trim_end_matches('?');
        if let Some(elem) = t.strip_suffix("[]") {
            return Some(Type::Array(Box::new(self.ty(all, at, elem, stack)?)));
        }
        for list in ["IList<", "List<", "ICollection<", "IEnumerable<"] {
            if let Some(elem) = t.strip_prefix(list).and_then(|e| e.strip_suffix('>')) {
                return Some(Type::Array(Box::new(self.ty(all, at, elem, stack)?)));
            }
        }
        Some(Type::Scalar(match t {
            "string" | "char" | "Guid" => "string",
            "int" | "long" | "short" | "byte" | "uint" | "ulong" | "ushort" | "sbyte" => "long",
            "double" | "float" => "double",
            "decimal" => "decimal",
            "bool" => "boolean",
            "DateTimeOffset" | "DateTime" => "datetime",
            "object" => "json",
            _ if t.starts_with("IDictionary<") || t.starts_with("Dictionary<") => "json",
            _ => return self.class(all, at, t, stack),
        }))
    }

    /// A nested class named `t` (`Types.Address`), looked up from `at` outwards.
    fn class(&mut self, all: &[Class], at: &str, t: &str, stack: &mut Vec<String>) -> Option<Type> {
        let mut scope = at.to_owned();
        let found = loop {
            let candidate = if scope.is_empty() {
                t.to_owned()
            } else {
                format!("{scope}.{t}")
            };
            if let Some(c) = all.iter().find(|c| c.path == candidate) {
                break Some(c);
            }
            if scope.is_empty() {
                // The last resort: a class of that simple name anywhere in the file.
                let simple = t.rsplit('.').next().unwrap_or(t);
                break all
                    .iter()
                    .find(|c| c.path.rsplit('.').next() == Some(simple));
            }
            scope = scope
                .rsplit_once('.')
                .map_or(String::new(), |(s, _)| s.to_owned());
        };
        let Some(class) = found else {
            self.import
                .problem(self.rel, format!("unknown type `{t}`, read as JSON"));
            return Some(Type::Scalar("json"));
        };
        if stack.contains(&class.path) {
            return Some(Type::Scalar("json"));
        }
        Some(Type::Object(self.fields(all, class, stack, false)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = "namespace M\n{\n    /// <summary>\n    /// <para>表示 [POST] /address/list 接口的响应。</para>\n    /// </summary>\n    public class AddressListResponse : DouyinShopResponse<AddressListResponse.Types.Data>\n    {\n        public static class Types\n        {\n            public class Data\n            {\n                public static class Types\n                {\n                    public class Address\n                    {\n                        /// <summary>\n                        /// 获取或设置地址 ID。\n                        /// </summary>\n                        [Newtonsoft.Json.JsonProperty(\"address_id\")]\n                        [System.Text.Json.Serialization.JsonPropertyName(\"address_id\")]\n                        public long AddressId { get; set; }\n                    }\n                }\n\n                [System.Text.Json.Serialization.JsonPropertyName(\"address_list\")]\n                public Types.Address[] AddressList { get; set; } = default!;\n\n                [System.Text.Json.Serialization.JsonPropertyName(\"total\")]\n                public int? Total { get; set; }\n\n                public int NotOnTheWire { get; set; }\n            }\n        }\n    }\n}\n";

    #[test]
    fn nested_classes_and_the_data_type_are_read() {
        let all = classes(RESPONSE);
        let paths: Vec<_> = all.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "AddressListResponse",
                "AddressListResponse.Types.Data",
                "AddressListResponse.Types.Data.Types.Address"
            ]
        );
        assert_eq!(
            data_type(RESPONSE).as_deref(),
            Some("AddressListResponse.Types.Data")
        );
        assert_eq!(operation_path(RESPONSE).as_deref(), Some("/address/list"));
        let mut import = Import::default();
        let mut cx = Cx {
            rel: "x",
            import: &mut import,
        };
        let Some(Type::Object(data)) =
            cx.ty(&all, "", "AddressListResponse.Types.Data", &mut Vec::new())
        else {
            panic!("an object")
        };
        assert_eq!(data.len(), 2, "only the wire properties");
        let Type::Array(elem) = &data[0].ty else {
            panic!("a list")
        };
        let Type::Object(address) = elem.as_ref() else {
            panic!("of objects")
        };
        assert_eq!(address[0].name, "address_id");
        assert_eq!(address[0].ty, Type::Scalar("long"));
        assert_eq!(address[0].description.as_deref(), Some("地址 ID。"));
        assert_eq!(data[1].ty, Type::Scalar("long"));
        assert!(import.problems.is_empty(), "{:?}", import.problems);
    }
}
