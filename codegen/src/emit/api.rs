//! One API's module: its types, descriptor, paging impls and client method.

use super::types::*;
use super::writer::*;
use crate::ir::{Api, Auth, Location, PagingIr, PagingStyle, StructIr, TyIr};
use std::collections::{BTreeMap, HashMap};

/// Per API (in order), its part types that an earlier API of the crate already defines, and
/// that API's module: a part type (not the root `Request`/`Response`) whose text, and its nested
/// types', is the same as one an earlier API wrote is that one, re-exported, so the crate
/// compiles it (its derives, impls) once. On real catalogs about a third of the part types
/// repeat (an order, a SKU, an address, in every API that carries one); docs/PERFORMANCE.md.
/// A type with an `enum:` field is its API's own: its enum types are emitted per module.
pub(super) fn shared_types(apis: &[Api]) -> Vec<BTreeMap<String, String>> {
    let mut first: HashMap<String, &str> = HashMap::new();
    apis.iter()
        .map(|api| {
            let mut owners = BTreeMap::new();
            for (types, request) in [(&api.request_types, true), (&api.response_types, false)] {
                let mut keys: HashMap<&str, Option<String>> = HashMap::new();
                for s in types {
                    let Some(key) = type_key(s, types, request, &mut keys) else {
                        continue;
                    };
                    match first.get(&key) {
                        Some(owner) => {
                            owners.insert(s.ident.clone(), (*owner).to_owned());
                        }
                        None => {
                            first.insert(key, &api.module);
                        }
                    }
                }
            }
            owners
        })
        .collect()
}

/// The text a part type is emitted as, with its nested types' keys; `None` for a type that
/// cannot be shared (an `enum:` field, there or nested).
pub(super) fn type_key<'a>(
    s: &'a StructIr,
    types: &'a [StructIr],
    request: bool,
    keys: &mut HashMap<&'a str, Option<String>>,
) -> Option<String> {
    if let Some(key) = keys.get(s.ident.as_str()) {
        return key.clone();
    }
    // A type's key holds its nested types' keys; the placeholder ends a cycle, should one ever
    // reach here, as "not shared".
    keys.insert(&s.ident, None);
    let mut key = if s.fields.iter().any(|f| f.enum_type.is_some()) {
        None
    } else {
        let mut w = Writer::new();
        if request {
            request_struct(&mut w, s, false);
        } else {
            response_struct(&mut w, s);
        }
        Some(w.out)
    };
    for f in &s.fields {
        let Some(nested) = struct_name(&f.ty) else {
            continue;
        };
        let inner = types
            .iter()
            .find(|t| t.ident == nested)
            .and_then(|t| type_key(t, types, request, keys));
        key = match (key, inner) {
            (Some(k), Some(inner)) => Some(format!("{k}\u{0}{inner}")),
            _ => None,
        };
    }
    keys.insert(&s.ident, key.clone());
    key
}

/// The part type a field holds, itself or in a list.
pub(super) fn struct_name(t: &TyIr) -> Option<&str> {
    match t {
        TyIr::Struct(name) => Some(name),
        TyIr::Vec(inner) => struct_name(inner),
        _ => None,
    }
}

pub(super) fn api_module(api: &Api, owners: &BTreeMap<String, String>) -> String {
    let mut w = Writer::new();
    w.docs(0, &api_doc_lines(api));
    w.line(0, &format!("pub mod {} {{", api.module));
    w.line(INDENT, "use ::opengate::__private as __rt;");
    let locations: Vec<String> = api
        .params
        .iter()
        .filter(|f| f.location != Location::Default || !f.limits.is_none())
        .map(|f| {
            let location = format!("__rt::ParamLocation::{}", variant(f.location.as_str()));
            if f.limits.is_none() {
                return format!("__rt::param({}, {location})", lit(&f.wire));
            }
            let l = &f.limits;
            let set = [
                l.max_length.map(|n| format!(".max_length({n})")),
                l.max_items.map(|n| format!(".max_items({n})")),
                l.min.map(|n| format!(".min({n})")),
                l.max.map(|n| format!(".max({n})")),
            ];
            let limits: String = set.into_iter().flatten().collect();
            format!(
                "__rt::limited({}, {location}, __rt::Limits::NONE{limits})",
                lit(&f.wire)
            )
        })
        .collect();
    w.list(
        INDENT,
        &format!("static PARAMS: [__rt::ParamSpec; {}] = [", locations.len()),
        &locations,
        "];",
    );
    w.docs(
        INDENT,
        &[format!(
            "Descriptor of `{}` {}, handed to the runtime's call path.",
            api.name, api.version
        )],
    );
    let auth = match api.auth {
        Auth::None => "None",
        Auth::App => "App",
        Auth::User => "User",
        Auth::Optional => "Optional",
        Auth::Client => "Client",
    };
    let fields = [
        ("platform", lit(&api.platform)),
        ("name", lit(&api.name)),
        ("version", lit(&api.version)),
        ("method", format!("__rt::HttpMethod::{:?}", api.method)),
        ("base_url", lit(&api.base_url)),
        ("path", lit(&api.path)),
        ("namespace", lit(&api.namespace)),
        ("auth", format!("__rt::AuthKind::{auth}")),
        ("idempotent", api.idempotent.to_string()),
        ("params", "&PARAMS".into()),
    ];
    w.line(INDENT, "pub static API: __rt::ApiDesc = __rt::StaticApi {");
    for (name, value) in fields {
        w.line(2 * INDENT, &format!("{name}: {value},"));
    }
    w.line(INDENT, "}");
    w.line(2 * INDENT, ".desc();");
    request_struct(
        &mut w,
        &StructIr {
            ident: "Request".into(),
            fields: api.params.clone(),
        },
        true,
    );
    w.line(INDENT, "impl ::opengate::ApiRequest for Request {");
    w.line(2 * INDENT, "type Response = Response;");
    w.line(2 * INDENT, "fn api() -> &'static ::opengate::ApiDesc {");
    w.line(3 * INDENT, "&API");
    w.line(2 * INDENT, "}");
    files_fn(&mut w, api);
    w.line(INDENT, "}");
    if let Some(pg) = &api.paging {
        paging_impls(&mut w, api, pg);
    }
    let reexport = |w: &mut Writer, s: &StructIr| match owners.get(&s.ident) {
        Some(owner) => {
            w.line(INDENT, &format!("pub use super::{owner}::{};", s.ident));
            true
        }
        None => false,
    };
    for s in &api.request_types {
        if !reexport(&mut w, s) {
            request_struct(&mut w, s, false);
        }
    }
    response_struct(&mut w, &api.response);
    for s in &api.response_types {
        if !reexport(&mut w, s) {
            response_struct(&mut w, s);
        }
    }
    for f in api.fields() {
        if let Some(e) = &f.enum_type {
            enum_type(&mut w, f, e);
        }
    }
    w.line(0, "}");
    w.out
}

/// A paged API's `PAGING` descriptor and its `PagedRequest` / `PagedResponse` impls.
pub(super) fn paging_impls(w: &mut Writer, api: &Api, pg: &PagingIr) {
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    let path = |p: &[String]| -> String {
        let items: Vec<String> = p.iter().map(|s| lit(s)).collect();
        format!("&[{}]", items.join(", "))
    };
    let items: Vec<String> = pg.items.iter().map(|(wire, _)| wire.clone()).collect();
    w.docs(
        i1,
        &[format!("How `{}` pages (the spec's `paging:`).", api.name)],
    );
    w.line(i1, "pub static PAGING: __rt::Paging = __rt::Paging {");
    match pg.style {
        PagingStyle::Page { first, backward } => {
            w.line(i2, "style: __rt::PageStyle::Page {");
            w.line(i3, &format!("first: {first},"));
            w.line(i3, &format!("backward: {backward},"));
            w.line(i2, "},");
        }
        PagingStyle::Cursor => w.line(i2, "style: __rt::PageStyle::Cursor,"),
    }
    let fields = [
        ("position", lit(&pg.position)),
        (
            "size",
            pg.size
                .as_ref()
                .map_or("None".to_owned(), |s| format!("Some({})", lit(s))),
        ),
        ("max_size", pg.max_size.unwrap_or(0).to_string()),
        ("items", path(&items)),
        ("total", path(&pg.total)),
        ("has_next", path(&pg.has_next)),
        ("next_cursor", path(&pg.next_cursor)),
    ];
    for (name, value) in fields {
        w.line(i2, &format!("{name}: {value},"));
    }
    w.line(i1, "};");
    w.line(i1, "impl __rt::PagedRequest for Request {");
    w.line(i2, "fn paging() -> &'static __rt::Paging {");
    w.line(i3, "&PAGING");
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, "impl __rt::PagedResponse for Response {");
    w.line(i2, &format!("type Item = {};", req_ty(&pg.item_ty)));
    w.line(i2, "fn into_items(self) -> Vec<Self::Item> {");
    // Objects are `Option`s, the list a `Vec`: `self.trades.map(|x| x.trade).unwrap_or_default()`.
    let idents: Vec<&str> = pg.items.iter().map(|(_, ident)| ident.as_str()).collect();
    let expr = match idents.as_slice() {
        [only] => format!("self.{only}"),
        [head, middle @ .., last] => {
            let mut e = format!("self.{head}");
            for m in middle {
                e.push_str(&format!(".and_then(|x| x.{m})"));
            }
            format!("{e}.map(|x| x.{last}).unwrap_or_default()")
        }
        [] => "Vec::new()".to_owned(),
    };
    w.line(i3, &expr);
    w.line(i2, "}");
    w.line(i1, "}");
}

/// One method of the platform accessor.
pub(super) fn client_method(api: &Api) -> String {
    let m = &api.module;
    let mut w = Writer::new();
    let mut lines = api_doc_lines(api);
    lines.push(String::new());
    lines.push(format!(
        "Request: [`{0}::Request`]; response: [`{0}::Response`].",
        m.trim_start_matches("r#")
    ));
    w.docs(INDENT, &lines);
    // Neither `async fn` nor `impl Future`: a state machine or an opaque type per API costs
    // more to check than the call is worth (`opengate::ApiCall`).
    w.list(
        INDENT,
        &format!("pub fn {m}("),
        &["self".into(), format!("request: {m}::Request")],
        &format!(") -> ::opengate::ApiCall<'a, {m}::Request> {{"),
    );
    w.line(2 * INDENT, "self.0.send_owned(request)");
    w.line(INDENT, "}");
    if api.paging.is_some() {
        let m_bare = m.trim_start_matches("r#");
        w.docs(
            INDENT,
            &[
                format!("Every page of `{}`, as a stream ([`::opengate::Pages`]); `.items()` for the items.", api.name),
                String::new(),
                format!("Request: [`{m_bare}::Request`]; each page: [`{m_bare}::Response`]."),
            ],
        );
        w.list(
            INDENT,
            &format!("pub fn {m_bare}_pages("),
            &["self".into(), format!("request: {m}::Request")],
            &format!(") -> ::opengate::Pages<{m}::Request> {{"),
        );
        w.line(2 * INDENT, "::opengate::Pages::new(self.0, request)");
        w.line(INDENT, "}");
    }
    w.out
}

pub(super) fn api_doc_lines(api: &Api) -> Vec<String> {
    let mut lines = Vec::new();
    match &api.summary {
        Some(summary) => lines.extend(prose(summary)),
        None => lines.push(api.name.clone()),
    }
    lines.push(String::new());
    if let Some(d) = &api.description {
        lines.extend(prose(d));
        lines.push(String::new());
    }
    lines.push(format!(
        "- API: {} version {}",
        code(&api.name),
        code(&api.version)
    ));
    lines.push(format!("- Auth: {}", code(api.auth.as_str())));
    let path = if api.path.is_empty() {
        "(protocol default)".to_owned()
    } else {
        code(&api.path)
    };
    lines.push(format!(
        "- HTTP: {} {} {path}",
        code(api.method.as_str()),
        code(&api.base_url)
    ));
    lines.push(format!(
        "- Retried on transient failure: {}",
        if api.idempotent {
            "yes (idempotent)"
        } else {
            "no"
        }
    ));
    if let Some(u) = &api.doc_url {
        lines.push(format!("- Platform docs: <{u}>"));
    }
    if let Some(s) = &api.source {
        let mut line = format!("- Imported from {}", code(&s.format));
        if let Some(f) = &s.file {
            line.push_str(&format!(" ({})", code(f)));
        }
        if !s.inferred.is_empty() {
            let facts: Vec<String> = s.inferred.iter().map(|f| code(f)).collect();
            line.push_str(&format!(
                "; not in the source, by the platform's rule: {}",
                facts.join(", ")
            ));
        }
        lines.push(line);
        if let Some(n) = &s.note {
            lines.extend(prose(n).into_iter().map(|l| format!("  {l}")));
        }
    }
    lines
}
