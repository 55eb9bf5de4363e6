//! Lowering `paging:`: the style, its params and the items' path, checked against the API.

use super::model::*;
use crate::diag::Diagnostics;
use crate::spec::{self};

/// Validates `paging:` against the request params and the response shape.
pub(super) fn lower_paging(
    pg: &spec::Paging,
    params: &[FieldIr],
    response: &StructIr,
    types: &[StructIr],
    d: &mut Diagnostics,
) -> Option<PagingIr> {
    let before = d.len();
    let cursor_style = match pg.style.value.as_str() {
        "page" => false,
        "cursor" => true,
        other => {
            d.push(
                &pg.style.pos,
                format!("paging: unknown style `{other}`, expected one of: page, cursor"),
            );
            return None;
        }
    };
    let param =
        |name: &Option<spec::Located<String>>, what: &str, d: &mut Diagnostics, int: bool| {
            let l = name.as_ref()?;
            match params.iter().find(|f| f.wire == l.value) {
                None => {
                    d.push(
                        &l.pos,
                        format!(
                            "paging: `{what}` names `{}`, which is not a param of this API",
                            l.value
                        ),
                    );
                    None
                }
                Some(f) if int && f.ty != TyIr::I64 => {
                    d.push(
                        &l.pos,
                        format!(
                        "paging: `{what}` param `{}` must be an integer (long or int), found `{}`",
                        l.value, f.spec_ty
                    ),
                    );
                    None
                }
                Some(f) => Some(f.wire.clone()),
            }
        };
    let member = |name: &Option<spec::Located<String>>,
                  what: &str,
                  ok: &dyn Fn(&TyIr) -> bool,
                  expected: &str,
                  d: &mut Diagnostics| {
        let Some(l) = name.as_ref() else {
            return Vec::new();
        };
        match response_path(&l.value, response, types) {
            Err(e) => {
                d.push(&l.pos, format!("paging: `{what}`: {e}"));
                Vec::new()
            }
            Ok(fields) if !fields.last().is_some_and(|f| ok(&f.ty)) => {
                d.push(
                    &l.pos,
                    format!("paging: `{what}` member `{}` must be {expected}", l.value),
                );
                Vec::new()
            }
            Ok(fields) => fields.iter().map(|f| f.wire.clone()).collect(),
        }
    };
    let misplaced = |present: bool, key: &str, style: &str, d: &mut Diagnostics| {
        if present {
            d.push(
                &pg.pos,
                format!("paging: `{key}` does not apply to style `{style}`"),
            );
        }
    };
    let (style, position) = if cursor_style {
        misplaced(pg.page.is_some(), "page", "cursor", d);
        misplaced(pg.first.is_some(), "first", "cursor", d);
        misplaced(pg.backward, "backward", "cursor", d);
        if pg.cursor.is_none() || pg.next_cursor.is_none() {
            d.push(&pg.pos, "paging: style `cursor` needs `cursor` (the request param) and `next_cursor` (the response member)");
        }
        (PagingStyle::Cursor, param(&pg.cursor, "cursor", d, false))
    } else {
        misplaced(pg.cursor.is_some(), "cursor", "page", d);
        misplaced(pg.next_cursor.is_some(), "next_cursor", "page", d);
        if pg.page.is_none() {
            d.push(
                &pg.pos,
                "paging: style `page` needs `page` (the request param of the page number)",
            );
        }
        if pg.backward && pg.total.is_none() {
            d.push(
                &pg.pos,
                "paging: `backward` needs `total` (the last page is found from it)",
            );
        }
        let first = pg.first.as_ref().map_or(1, |f| f.value);
        (
            PagingStyle::Page {
                first,
                backward: pg.backward,
            },
            param(&pg.page, "page", d, true),
        )
    };
    let size = param(&pg.size, "size", d, true);
    if pg.max_size == Some(0) {
        d.push(&pg.pos, "paging: `max_size` must be at least 1");
    }
    let is_int = |t: &TyIr| *t == TyIr::I64;
    let total = member(&pg.total, "total", &is_int, "an integer", d);
    let has_next = member(
        &pg.has_next,
        "has_next",
        &|t| *t == TyIr::Bool,
        "a boolean",
        d,
    );
    let next_cursor = member(
        &pg.next_cursor,
        "next_cursor",
        &|t| matches!(t, TyIr::I64 | TyIr::String),
        "an integer or a string",
        d,
    );
    let items = match response_path(&pg.items.value, response, types) {
        Err(e) => {
            d.push(&pg.items.pos, format!("paging: `items`: {e}"));
            None
        }
        Ok(fields) => match fields.last().map(|f| &f.ty) {
            Some(TyIr::Vec(inner)) => Some((
                fields
                    .iter()
                    .map(|f| (f.wire.clone(), f.ident.clone()))
                    .collect::<Vec<_>>(),
                (**inner).clone(),
            )),
            _ => {
                d.push(
                    &pg.items.pos,
                    format!(
                        "paging: `items` member `{}` must be an array",
                        pg.items.value
                    ),
                );
                None
            }
        },
    };
    if d.len() > before {
        return None;
    }
    let (items, item_ty) = items?;
    Some(PagingIr {
        style,
        position: position?,
        size,
        max_size: pg.max_size,
        items,
        item_ty,
        total,
        has_next,
        next_cursor,
    })
}

/// Reads are safe to retry. The last segment of the name tells (`.get`, `.search`, `searchList`...).
pub(super) fn looks_like_read(name: &str) -> bool {
    let last = name
        .rsplit(['.', '/'])
        .find(|s| !s.is_empty())
        .unwrap_or(name)
        .to_ascii_lowercase();
    ["get", "list", "search", "query", "detail", "info", "count"]
        .iter()
        .any(|p| last.starts_with(p) || last.ends_with(p))
}

pub(super) fn parse_template(t: &str) -> Result<Vec<String>, String> {
    if !t.starts_with('/') {
        return Err("it must start with `/`".into());
    }
    let mut names = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("`}` without `{`".into());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("`{` without `}`")?;
        let name = &after[..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "placeholder `{{{name}}}` must be letters, digits and `_`"
            ));
        }
        names.push(name.to_owned());
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// A response member by its dotted path: each segment's field, every one but the last an object.
pub(super) fn response_path<'a>(
    path: &str,
    root: &'a StructIr,
    types: &'a [StructIr],
) -> Result<Vec<&'a FieldIr>, String> {
    let mut out = Vec::new();
    let mut at = root;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let Some(f) = at.fields.iter().find(|f| f.wire == *seg) else {
            return Err(format!(
                "the response has no member `{}`",
                segments[..=i].join(".")
            ));
        };
        out.push(f);
        if i + 1 < segments.len() {
            match &f.ty {
                TyIr::Struct(name) => match types.iter().find(|t| &t.ident == name) {
                    Some(t) => at = t,
                    None => return Err(format!("`{seg}` is not an object")),
                },
                _ => return Err(format!("`{}` is not an object", segments[..=i].join("."))),
            }
        }
    }
    Ok(out)
}
