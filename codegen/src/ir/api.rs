//! Lowering one API: names, auth, method, location of each param, the response's path.

use super::fields::lower_fields;
use super::model::*;
use super::paging::{looks_like_read, lower_paging, parse_template};
use crate::diag::{Diagnostics, Pos};
use crate::names::{snake, Namer};
use crate::spec::{self};
use std::collections::BTreeMap;

/// `3.0.0` -> `3_0_0`: versions always follow a `_v`, so a leading digit is fine.
pub(super) fn version_ident(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) fn valid_wire_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
}

pub(super) fn lower_api(a: &spec::Api, p: &Platform, d: &mut Diagnostics) -> Option<Api> {
    let before = d.len();
    if !valid_wire_name(&a.name.value) {
        d.push(
            &a.name.pos,
            format!(
                "`name` must be letters, digits and `. _ - /`, found `{}`",
                a.name.value
            ),
        );
    }
    if a.version.value.trim().is_empty()
        || !a
            .version
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
    {
        d.push(
            &a.version.pos,
            format!(
                "`version` must be letters, digits and `.`, found `{}`",
                a.version.value
            ),
        );
    }
    let auth = match a.auth.value.as_str() {
        "none" => Auth::None,
        "app" => Auth::App,
        "user" => Auth::User,
        "optional" => Auth::Optional,
        "client" => Auth::Client,
        other => {
            d.push(
                &a.auth.pos,
                format!("unknown auth scheme `{other}`, expected one of: none, app, user, optional, client"),
            );
            Auth::None
        }
    };
    let method = Method::parse(&a.method.value).unwrap_or_else(|| {
        d.push(
            &a.method.pos,
            format!(
                "unknown HTTP method `{}`, expected one of: GET, POST, PUT, DELETE, PATCH",
                a.method.value
            ),
        );
        Method::Post
    });
    let host_key = a
        .host
        .as_ref()
        .map_or("default", |h| h.value.as_str())
        .to_owned();
    let base_url = match p.hosts.iter().find(|(k, _)| *k == host_key) {
        Some((_, url)) => url.clone(),
        None => {
            let pos = a.host.as_ref().map_or(&a.pos, |h| &h.pos);
            let known: Vec<&str> = p.hosts.iter().map(|(k, _)| k.as_str()).collect();
            d.push(
                pos,
                format!(
                    "unknown host `{host_key}` for platform `{}`, expected one of: {}",
                    p.name,
                    known.join(", ")
                ),
            );
            String::new()
        }
    };

    // Params: distinct wire names, valid locations.
    let mut seen: BTreeMap<&str, &Pos> = BTreeMap::new();
    for f in &a.params {
        if let Some(first) = seen.get(f.name.as_str()) {
            d.push(
                &f.pos,
                format!("duplicate param `{}` (first at {first})", f.name),
            );
        } else {
            seen.insert(&f.name, &f.pos);
        }
        if f.name.trim().is_empty() {
            d.push(&f.pos, "param `name` must not be empty");
        }
    }

    // Path template: balanced braces; every placeholder is a path param or a system value.
    let path = a.path.as_ref().map(|p| p.value.clone()).unwrap_or_default();
    let mut placeholders = Vec::new();
    if let Some(pp) = &a.path {
        match parse_template(&pp.value) {
            Ok(names) => placeholders = names,
            Err(msg) => d.push(
                &pp.pos,
                format!("invalid path template `{}`: {msg}", pp.value),
            ),
        }
    }
    const SYSTEM: &[&str] = &["name", "version", "namespace", "app_key"];
    for ph in &placeholders {
        let is_param = a
            .params
            .iter()
            .any(|f| &f.name == ph && f.location.as_ref().is_some_and(|l| l.value == "path"));
        if !is_param && !SYSTEM.contains(&ph.as_str()) {
            let pos = &a.path.as_ref().map_or(&a.pos, |p| &p.pos);
            d.push(
                pos,
                format!(
                    "path placeholder `{{{ph}}}` is neither a param with `in: path` nor one of: {}",
                    SYSTEM.join(", ")
                ),
            );
        }
    }

    let module_base = {
        let stripped = a
            .name
            .value
            .strip_prefix(&format!("{}.", p.name))
            .unwrap_or(&a.name.value);
        format!("{}_v{}", snake(stripped), version_ident(&a.version.value))
    };

    let mut req_types = Vec::new();
    let mut type_namer = Namer::with_reserved(&["Request", "Response", "API"]);
    let params = lower_fields(
        &a.params,
        "Request",
        true,
        &mut type_namer,
        &mut req_types,
        d,
        &["new", "api"],
    );
    let mut resp_types = Vec::new();
    let resp_fields = a
        .response
        .as_ref()
        .map(|r| r.value.as_slice())
        .unwrap_or(&[]);
    let response_fields = lower_fields(
        resp_fields,
        "Response",
        false,
        &mut type_namer,
        &mut resp_types,
        d,
        &[],
    );

    for f in &params {
        if f.location == Location::Path && !placeholders.contains(&f.wire) {
            d.push(
                &a.pos,
                format!(
                    "param `{}` is `in: path` but the path template has no `{{{}}}`",
                    f.wire, f.wire
                ),
            );
        }
        if f.location == Location::Path && !f.required {
            d.push(
                &a.pos,
                format!(
                    "param `{}` is `in: path` and so must be `required: true`",
                    f.wire
                ),
            );
        }
    }

    let paging = a.paging.as_ref().and_then(|pg| {
        let response = StructIr {
            ident: "Response".into(),
            fields: response_fields.clone(),
        };
        lower_paging(pg, &params, &response, &resp_types, d)
    });

    if d.len() > before {
        return None;
    }
    Some(Api {
        paging,
        name: a.name.value.clone(),
        version: a.version.value.clone(),
        platform: p.name.clone(),
        summary: a.summary.clone(),
        description: a.description.clone(),
        doc_url: a.doc_url.clone(),
        auth,
        idempotent: a
            .idempotent
            .unwrap_or(method == Method::Get || looks_like_read(&a.name.value)),
        method,
        host_key,
        base_url,
        path,
        namespace: a.namespace.clone().unwrap_or_default(),
        module: module_base,
        params,
        request_types: req_types,
        response: StructIr {
            ident: "Response".into(),
            fields: response_fields,
        },
        response_types: resp_types,
        response_example: a.response_example.clone(),
        group: a.group.clone(),
        source: a.source.clone(),
    })
}
