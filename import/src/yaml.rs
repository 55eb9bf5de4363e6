//! An imported API as spec YAML: block style, one flow mapping per scalar param, strings quoted
//! as JSON (JSON strings are YAML double-quoted scalars), keys in a fixed order. The same API
//! always gives the same bytes.

use crate::model::{ApiSpec, Param, Type};
use std::fmt::Write;

/// A YAML scalar for `s`: bare when it cannot be read as anything but this string, else quoted.
fn text(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_owned()
    } else {
        quoted(s)
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The type as a name, for every type but objects with fields. An object the source gives no
/// fields for is `json`: whatever arrives is kept.
fn type_name(t: &Type) -> Option<String> {
    match t {
        Type::Scalar(s) => Some((*s).to_owned()),
        Type::Array(inner) => type_name(inner).map(|n| format!("{n}[]")),
        Type::Object(fields) if fields.is_empty() => Some("json".to_owned()),
        Type::Object(_) => None,
    }
}

/// The spec text of one API, after `header` (comment lines).
pub fn api(api: &ApiSpec, header: &str) -> String {
    let mut o = String::new();
    o.push_str(header);
    let _ = writeln!(o, "name: {}", text(&api.name));
    let _ = writeln!(o, "version: {}", quoted(&api.version));
    if let Some(s) = &api.summary {
        let _ = writeln!(o, "summary: {}", quoted(s));
    }
    if let Some(d) = &api.description {
        let _ = writeln!(o, "description: {}", quoted(d));
    }
    let _ = writeln!(o, "auth: {}", api.auth);
    let _ = writeln!(o, "method: {}", api.method);
    if let Some(h) = &api.host {
        let _ = writeln!(o, "host: {}", text(h));
    }
    if let Some(p) = &api.path {
        let _ = writeln!(o, "path: {}", quoted(p));
    }
    if let Some(n) = &api.namespace {
        let _ = writeln!(o, "namespace: {}", text(n));
    }
    if let Some(u) = &api.doc_url {
        let _ = writeln!(o, "doc_url: {}", quoted(u));
    }
    let s = &api.source;
    let _ = write!(
        o,
        "source: {{format: {}, file: {}",
        text(&s.format),
        quoted(&s.file)
    );
    if !s.inferred.is_empty() {
        let list: Vec<String> = s.inferred.iter().map(|i| text(i)).collect();
        let _ = write!(o, ", inferred: [{}]", list.join(", "));
    }
    if let Some(n) = &s.note {
        let _ = write!(o, ", note: {}", quoted(n));
    }
    o.push_str("}\n");
    if let Some(p) = &api.paging {
        let position = if p.style == "cursor" {
            "cursor"
        } else {
            "page"
        };
        let _ = write!(
            o,
            "paging: {{style: {}, {position}: {}, size: {}",
            p.style,
            text(&p.position),
            text(&p.size)
        );
        if let Some(m) = p.max_size {
            let _ = write!(o, ", max_size: {m}");
        }
        let _ = write!(o, ", items: {}", text(&p.items));
        let members = [
            ("total", &p.total),
            ("has_next", &p.has_next),
            ("next_cursor", &p.next_cursor),
        ];
        for (key, member) in members {
            if let Some(m) = member {
                let _ = write!(o, ", {key}: {}", text(m));
            }
        }
        if p.backward {
            o.push_str(", backward: true");
        }
        o.push_str("}\n");
    }
    if !api.params.is_empty() {
        o.push_str("params:\n");
        fields(&mut o, &api.params, "  ", true);
    }
    if !api.response.is_empty() {
        o.push_str("response:\n  type: object\n  fields:\n");
        fields(&mut o, &api.response, "    ", false);
    }
    o
}

fn fields(o: &mut String, list: &[Param], indent: &str, is_param: bool) {
    for p in list {
        field(o, p, indent, is_param);
    }
}

/// `key: value` facts of a field besides its name and type, in spec order.
fn facts(p: &Param, is_param: bool) -> Vec<String> {
    let mut f = Vec::new();
    if p.required && is_param {
        f.push("required: true".to_owned());
    }
    if let Some(l) = &p.location {
        f.push(format!("in: {l}"));
    }
    if let Some(d) = &p.description {
        f.push(format!("description: {}", quoted(d)));
    }
    // By name, the rule error excerpts follow too: a person's data or a credential.
    if opengate_redact::is_sensitive_name(&p.name) {
        f.push("pii: true".to_owned());
    }
    if is_param {
        if let Some(e) = &p.example {
            f.push(format!("example: {}", quoted(e)));
        }
        if let Some(d) = &p.default {
            f.push(format!("default: {}", quoted(d)));
        }
        for (key, n) in [("max_length", p.max_length), ("max_items", p.max_items)] {
            if let Some(n) = n {
                f.push(format!("{key}: {n}"));
            }
        }
        for (key, n) in [("min", p.min), ("max", p.max)] {
            if let Some(n) = n {
                f.push(format!("{key}: {n}"));
            }
        }
    }
    f
}

/// One list item: a flow mapping when the type has a name, else a block with `fields:` or
/// `items:` below it.
fn field(o: &mut String, p: &Param, indent: &str, is_param: bool) {
    let facts = facts(p, is_param);
    if let Some(t) = type_name(&p.ty) {
        let mut parts = vec![
            format!("name: {}", text(&p.name)),
            format!("type: {}", text(&t)),
        ];
        parts.extend(facts);
        let _ = writeln!(o, "{indent}- {{{}}}", parts.join(", "));
        return;
    }
    let _ = writeln!(o, "{indent}- name: {}", text(&p.name));
    let inner = format!("{indent}  ");
    let mut ty = &p.ty;
    let mut at = inner.clone();
    let mut first = true;
    // `type: array` nests `items:` as deep as the arrays go; the innermost element is an object
    // with fields (arrays of named types were written in flow style above).
    loop {
        let kind = if matches!(ty, Type::Array(_)) {
            "array"
        } else {
            "object"
        };
        let _ = writeln!(o, "{at}type: {kind}");
        if first {
            for f in &facts {
                let _ = writeln!(o, "{at}{f}");
            }
            first = false;
        }
        match ty {
            Type::Array(elem) => match type_name(elem) {
                Some(name) => {
                    let _ = writeln!(o, "{at}items: {}", text(&name));
                    return;
                }
                None => {
                    let _ = writeln!(o, "{at}items:");
                    at.push_str("  ");
                    ty = elem;
                }
            },
            Type::Object(children) => {
                let _ = writeln!(o, "{at}fields:");
                fields(o, children, &at, is_param);
                return;
            }
            Type::Scalar(_) => return,
        }
    }
}
