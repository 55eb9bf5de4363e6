//! `youzan-ts`: TypeScript declarations of current Youzan APIs (`src/api-types/*.ts`, one API
//! each, generated from doc.youzanyun.com). Per file: `<X>Params` (the request members; `?` is
//! optional), nested interfaces, `<X>Response` (the whole body: `success`, `code`, `message`,
//! `data`; or `YouzanApiSuccessResponse<Data>` from `common.ts`) and `<X>ApiMapEntry`, which
//! names the API and its version (taken from there, not from the file name). A JSDoc comment
//! before a member is its description; the header's second line is the summary.
//!
//! Types: `string` text; `YouzanLong` (`number | string`, Java longs) and number literal unions
//! `long`; `number` `long` in a request (Youzan's request numbers are ids, counts and amounts in
//! 分) and `double` in an answer (it reads any number); `boolean` and `true`; `unknown`, `any`,
//! `Record<…>` and generic helpers raw JSON; `T[]` lists; an interface of the file an object;
//! a union its first member. What the declarations lack: the method (`POST`) and the auth
//! (`user`: the token), both in `source.inferred`.

use crate::model::{ApiSpec, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct YouzanTs;

impl Importer for YouzanTs {
    fn format(&self) -> &'static str {
        "youzan-ts"
    }

    fn platform(&self) -> &str {
        "youzan"
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let root = ["src/api-types", "api-types"]
            .iter()
            .map(|p| source.join(p))
            .find(|p| p.is_dir())
            .unwrap_or_else(|| source.to_owned());
        let mut files = Vec::new();
        files_with(&root, ".ts", &mut files, &mut import);
        // `common.ts` declares what every file may use.
        let common = std::fs::read_to_string(root.join("common.ts"))
            .map(|s| declarations(&s))
            .unwrap_or_default();
        for rel in files {
            if rel == "common.ts" || rel == "index.ts" {
                continue;
            }
            let src = match std::fs::read_to_string(root.join(&rel)) {
                Ok(s) => s,
                Err(e) => {
                    import.problem(&rel, format!("cannot read: {e}"));
                    continue;
                }
            };
            let mut decls = common.clone();
            decls.extend(declarations(&src));
            match api(&src, &rel, &decls, &mut import) {
                Some(api) => import.apis.push(Imported {
                    group: group(&api.name),
                    api,
                }),
                None => import.problem(&rel, "no `…ApiMapEntry` naming an API and its version"),
            }
        }
        import
    }
}

/// The group of an API the declarations name: its name's second segment
/// (`youzan.retail.open.spu.query` is `retail`).
fn group(name: &str) -> String {
    name.split('.').nth(1).unwrap_or("misc").to_owned()
}

/// A declared interface or type alias, with its type parameters.
#[derive(Debug, Clone)]
struct Decl {
    params: Vec<String>,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    /// Members, after those of the interface it `extends` (if any).
    Interface {
        extends: Option<String>,
        members: Vec<Member>,
    },
    Alias(String),
}

#[derive(Debug, Clone)]
struct Member {
    name: String,
    optional: bool,
    ty: String,
    doc: Option<String>,
}

/// `Name<A, B>` as the name and its parameters (or arguments).
fn generic(head: &str) -> (&str, Vec<String>) {
    match head.split_once('<') {
        Some((n, p)) => (
            n.trim(),
            split_top(p.trim().strip_suffix('>').unwrap_or(p), ',')
                .into_iter()
                .map(|s| s.trim().to_owned())
                .collect(),
        ),
        None => (head.trim(), Vec::new()),
    }
}

/// `s` split at `sep` where no `<>`, `{}`, `()` or `[]` is open.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' | '{' | '(' | '[' => depth += 1,
            '>' | '}' | ')' | ']' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The `interface` and `type` declarations of a file (exported or not), by name.
fn declarations(src: &str) -> BTreeMap<String, Decl> {
    let mut out = BTreeMap::new();
    let mut rest = src;
    loop {
        let next = ["interface ", "type "]
            .iter()
            .filter_map(|k| {
                rest.match_indices(k)
                    .find(|(i, _)| {
                        let line = &rest[..*i];
                        let line = &line[line.rfind('\n').map_or(0, |n| n + 1)..];
                        line.is_empty() || line == "export "
                    })
                    .map(|(i, _)| (i, *k))
            })
            .min();
        let Some((at, kind)) = next else { break };
        let body = &rest[at + kind.len()..];
        if kind == "interface " {
            let Some(open) = body.find('{') else { break };
            let head = body[..open].trim();
            let (head, extends) = match head.split_once(" extends ") {
                Some((h, e)) => (h, Some(squeeze(e))),
                None => (head, None),
            };
            let (name, params) = generic(head);
            let Some(len) = matching(&body[open..]) else {
                break;
            };
            let members = members(&body[open + 1..open + len]);
            out.insert(
                name.to_owned(),
                Decl {
                    params,
                    body: Body::Interface { extends, members },
                },
            );
            rest = &body[open + len..];
        } else {
            let Some(eq) = body.find('=') else { break };
            let head = &body[..eq];
            // The value runs to the `;` where no brace is open.
            let value = split_top(&body[eq + 1..], ';')[0];
            rest = &body[eq + 1 + value.len()..];
            if head.contains('{') || head.contains('*') {
                continue;
            }
            let (name, params) = generic(head);
            out.insert(
                name.to_owned(),
                Decl {
                    params,
                    body: Body::Alias(squeeze(value)),
                },
            );
        }
    }
    out
}

/// The length up to the brace that closes the one `s` starts with.
fn matching(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The members of an interface body, with the JSDoc before each.
fn members(body: &str) -> Vec<Member> {
    let mut out = Vec::new();
    let mut doc: Option<String> = None;
    let mut rest = body;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix("/**") {
            let end = after.find("*/").unwrap_or(after.len());
            let text = after[..end]
                .lines()
                .map(|l| l.trim().trim_start_matches('*').trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            doc = (!text.is_empty()).then_some(text);
            rest = after.get(end + 2..).unwrap_or_default();
            continue;
        }
        // A member runs to its `;` (an inline object type to its closing brace first).
        let end = match (rest.find(';'), rest.find('{')) {
            (Some(semi), Some(open)) if open < semi => matching(&rest[open..])
                .map(|l| open + l + rest[open + l..].find(';').unwrap_or(0))
                .unwrap_or(rest.len()),
            (Some(semi), _) => semi,
            (None, _) => rest.len(),
        };
        let item = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or_default();
        let Some((name, ty)) = item.split_once(':') else {
            doc = None;
            continue;
        };
        let name = name.trim().trim_matches(['\'', '"']);
        // `[field: string]: unknown` says more members may come: nothing to type.
        if name.starts_with('[') {
            doc = None;
            continue;
        }
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, false),
        };
        out.push(Member {
            name: name.trim().to_owned(),
            optional,
            ty: squeeze(ty),
            doc: doc.take(),
        });
    }
    out
}

/// The API of one file: `…ApiMapEntry { 'name': { 'version': { params: P; response: R } } }`.
fn api(
    src: &str,
    rel: &str,
    decls: &BTreeMap<String, Decl>,
    import: &mut Import,
) -> Option<ApiSpec> {
    let (
        _,
        Decl {
            body: Body::Interface { members: entry, .. },
            ..
        },
    ) = decls.iter().find(|(n, _)| n.ends_with("ApiMapEntry"))?
    else {
        return None;
    };
    let by_name = entry.first()?;
    let inner = by_name.ty.trim().strip_prefix('{')?.trim_end_matches('}');
    let by_version = members(inner);
    let version = by_version.first()?;
    let shape = members(version.ty.trim().strip_prefix('{')?.trim_end_matches('}'));
    let of = |k: &str| shape.iter().find(|m| m.name == k).map(|m| m.ty.clone());
    let mut cx = Cx {
        decls,
        rel,
        import,
        stack: Vec::new(),
    };
    let params = match of("params") {
        Some(t) => cx.fields_of(&t, true),
        None => Vec::new(),
    };
    let response = match of("response") {
        Some(t) => cx.fields_of(&t, false),
        None => Vec::new(),
    };
    // The header: `Generated from Youzan API docs for <name>@<version>.` then the summary.
    let summary = Some(src)
        .filter(|s| s.trim_start().starts_with("/**"))
        .and_then(|s| s.split("*/").next())
        .and_then(|h| {
            h.lines()
                .map(|l| l.trim().trim_start_matches('*').trim())
                .nth(2)
        })
        .filter(|l| !l.is_empty() && !l.starts_with('/'))
        .map(str::to_owned);
    Some(ApiSpec {
        name: by_name.name.clone(),
        version: version.name.clone(),
        summary,
        auth: "user".into(),
        method: "POST".into(),
        params,
        response,
        source: Source {
            format: "youzan-ts".into(),
            file: rel.to_owned(),
            inferred: vec!["method".into(), "auth".into()],
            note: None,
        },
        ..ApiSpec::default()
    })
}

struct Cx<'a> {
    decls: &'a BTreeMap<String, Decl>,
    rel: &'a str,
    import: &'a mut Import,
    /// The interfaces being expanded, against cycles.
    stack: Vec<String>,
}

impl Cx<'_> {
    /// The fields of the object type `ty` (an interface, possibly generic, or an alias of one).
    fn fields_of(&mut self, ty: &str, request: bool) -> Vec<Param> {
        match self.ty(ty, request) {
            Some(Type::Object(fields)) => fields,
            _ => {
                self.import
                    .problem(self.rel, format!("`{ty}` is not an object type"));
                Vec::new()
            }
        }
    }

    fn ty(&mut self, ty: &str, request: bool) -> Option<Type> {
        let t = ty.trim().trim_start_matches('|').trim();
        // A union is its first member (`string | null` is text, `string[] | string` a list);
        // a union of number literals a number.
        let alternatives: Vec<&str> = split_top(t, '|')
            .into_iter()
            .map(str::trim)
            .filter(|a| *a != "null" && *a != "undefined")
            .collect();
        let first = *alternatives.first()?;
        if alternatives.len() > 1 {
            if alternatives.iter().all(|a| a.parse::<f64>().is_ok()) {
                return Some(Type::Scalar("long"));
            }
            return self.ty(first, request);
        }
        if first != t {
            return self.ty(first, request);
        }
        // An intersection is the fields of its parts together.
        let parts = split_top(t, '&');
        if parts.len() > 1 {
            let mut fields: Vec<Param> = Vec::new();
            for part in parts {
                if let Some(Type::Object(f)) = self.ty(part, request) {
                    for p in f {
                        if fields.iter().all(|q| q.name != p.name) {
                            fields.push(p);
                        }
                    }
                }
            }
            return Some(Type::Object(fields));
        }
        if let Some(inner) = t.strip_prefix('{').and_then(|b| b.strip_suffix('}')) {
            let members = members(inner);
            return Some(Type::Object(self.object(t, &members, request)));
        }
        if let Some(inner) = t.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
            return self.ty(inner, request);
        }
        if let Some(elem) = t.strip_suffix("[]") {
            return Some(Type::Array(Box::new(self.ty(elem, request)?)));
        }
        if let Some(elem) = t.strip_prefix("Array<").and_then(|e| e.strip_suffix('>')) {
            return Some(Type::Array(Box::new(self.ty(elem, request)?)));
        }
        Some(Type::Scalar(match t {
            "string" => "string",
            "YouzanLong" => "long",
            "number" if request => "long",
            "number" => "double",
            "boolean" | "true" | "false" => "boolean",
            "never" => return None,
            "unknown" | "any" | "object" => "json",
            _ if t.starts_with('\'') || t.starts_with('"') => "string",
            _ if t.parse::<f64>().is_ok() => "long",
            _ => return self.named(t, request),
        }))
    }

    /// A declared type by name, its generic arguments substituted.
    fn named(&mut self, t: &str, request: bool) -> Option<Type> {
        let (name, args) = generic(t);
        let Some(decl) = self.decls.get(name).cloned() else {
            if !name.starts_with("Record") {
                self.import
                    .problem(self.rel, format!("unknown type `{t}`, read as JSON"));
            }
            return Some(Type::Scalar("json"));
        };
        // A generic used without its arguments, or a cycle, is raw JSON.
        if decl.params.len() != args.len() || self.stack.iter().any(|s| s == t) {
            return Some(Type::Scalar("json"));
        }
        let subst = |ty: &str| {
            decl.params
                .iter()
                .zip(&args)
                .find(|(p, _)| ty.trim() == p.as_str())
                .map_or_else(|| ty.to_owned(), |(_, a)| a.clone())
        };
        self.stack.push(t.to_owned());
        let out = match decl.body {
            Body::Alias(value) => {
                // Substitute each alternative of the alias (`T | string`).
                let value = split_top(&value, '|')
                    .into_iter()
                    .map(&subst)
                    .collect::<Vec<_>>()
                    .join(" | ");
                self.ty(&value, request)
            }
            Body::Interface { extends, members } => {
                let mut fields = match extends {
                    Some(base) => match self.ty(&subst(&base), request) {
                        Some(Type::Object(f)) => f,
                        _ => Vec::new(),
                    },
                    None => Vec::new(),
                };
                let members: Vec<Member> = members
                    .into_iter()
                    .map(|m| Member {
                        ty: subst(&m.ty),
                        ..m
                    })
                    .collect();
                for p in self.object(t, &members, request) {
                    match fields.iter_mut().find(|f| f.name == p.name) {
                        Some(f) => *f = p,
                        None => fields.push(p),
                    }
                }
                Some(Type::Object(fields))
            }
        };
        self.stack.pop();
        out
    }

    /// The fields of an object's members.
    fn object(&mut self, t: &str, members: &[Member], request: bool) -> Vec<Param> {
        let mut fields: Vec<Param> = Vec::new();
        for m in members {
            let Some(field_ty) = self.ty(&m.ty, request) else {
                continue;
            };
            let mut p = Param::new(m.name.clone(), field_ty);
            p.required = request && !m.optional;
            p.description = m.doc.clone();
            if crate::model::usable_name(&p.name) && fields.iter().all(|f| f.name != p.name) {
                fields.push(p);
            } else {
                self.import.problem(
                    self.rel,
                    format!("{t}.{}: unusable or duplicate name, skipped", m.name),
                );
            }
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_intersections_generic_aliases_and_nested_unions() {
        let src = "type JsonObject<T> = T | string;\n\
export interface Mark {\n  on?: boolean;\n}\n\
export interface Base<D> {\n  success: true;\n  data?: D;\n  id?: string | null;\n}\n\
export interface R extends Base<Mark> {\n  code?: number;\n}\n\
export type Q = Base<Mark> & {\n    /** 条数 */\n    count?: number;\n  };\n\
export interface P {\n  oids?: Array<number | string>;\n  mark?: JsonObject<Mark>;\n  open?:\n    | 0\n    | 1;\n}\n";
        let decls = declarations(src);
        let mut import = Import::default();
        let mut cx = Cx {
            decls: &decls,
            rel: "x.ts",
            import: &mut import,
            stack: Vec::new(),
        };
        let names = |f: &[Param]| f.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&cx.fields_of("R", false)),
            ["success", "data", "id", "code"]
        );
        let q = cx.fields_of("Q", false);
        assert_eq!(names(&q), ["success", "data", "id", "count"]);
        assert_eq!(q[2].ty, Type::Scalar("string"));
        assert_eq!(q[3].description.as_deref(), Some("条数"));
        let p = cx.fields_of("P", true);
        assert_eq!(p[0].ty, Type::Array(Box::new(Type::Scalar("long"))));
        assert!(matches!(&p[1].ty, Type::Object(f) if f[0].name == "on"));
        assert_eq!(p[2].ty, Type::Scalar("long"));
        assert!(import.problems.is_empty(), "{:?}", import.problems);
    }

    #[test]
    fn a_file_with_a_generic_response_is_read() {
        let common = "export interface YouzanApiSuccessResponse<TData> {\n  success: true;\n  code?: number;\n  data: TData;\n}\nexport type YouzanLong = number | string;\n";
        let src = "/**\n * Generated from Youzan API docs for youzan.a.get@1.0.1.\n * 查询一个。\n */\n\
export interface AParams {\n  /** 编号 */\n  id: YouzanLong;\n  tags?: string[];\n  kind?: 1 | 2;\n}\n\
export interface AData {\n  /**\n   * 名称\n   */\n  name?: string;\n  price?: number;\n  [field: string]: unknown;\n}\n\
export type AResponse =\n  YouzanApiSuccessResponse<AData>;\n\
export interface AApiMapEntry {\n  'youzan.a.get': {\n    '1.0.1': {\n      params: AParams;\n      response: AResponse;\n    };\n  };\n}\n";
        let mut decls = declarations(common);
        decls.extend(declarations(src));
        let mut import = Import::default();
        let a = api(src, "a.ts", &decls, &mut import).unwrap();
        assert!(import.problems.is_empty(), "{:?}", import.problems);
        assert_eq!(
            (a.name.as_str(), a.version.as_str()),
            ("youzan.a.get", "1.0.1")
        );
        assert_eq!(a.summary.as_deref(), Some("查询一个。"));
        let names: Vec<_> = a
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.required))
            .collect();
        assert_eq!(names, [("id", true), ("tags", false), ("kind", false)]);
        assert_eq!(a.params[0].ty, Type::Scalar("long"));
        assert_eq!(a.params[0].description.as_deref(), Some("编号"));
        assert_eq!(a.params[2].ty, Type::Scalar("long"));
        let body: Vec<_> = a.response.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(body, ["success", "code", "data"]);
        let Type::Object(data) = &a.response[2].ty else {
            panic!("data is an object")
        };
        assert_eq!(data[0].description.as_deref(), Some("名称"));
        assert_eq!(data[1].ty, Type::Scalar("double"));
        assert!(!data[0].required, "answers have no required fields");
        assert_eq!(group(&a.name), "a");
    }
}
