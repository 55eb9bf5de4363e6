//! Deterministic responses: the spec's `response_example`, or one built from the response shape.

use opengate_codegen::ir::{Api, FieldIr, PagingStyle, StructIr, TyIr};
use serde_json::{json, Map, Value};

/// The response data for an API (what the spec's `response` describes); a `code` member says
/// success as the API's protocol does (`ok_code`).
pub fn response(api: &Api, ok_code: i64) -> Value {
    if let Some(example) = &api.response_example {
        return example.clone();
    }
    object(&api.response, api, ok_code)
}

fn object(s: &StructIr, api: &Api, ok_code: i64) -> Value {
    let mut m = Map::new();
    for f in &s.fields {
        m.insert(f.wire.clone(), field(f, api, ok_code));
    }
    Value::Object(m)
}

fn field(f: &FieldIr, api: &Api, ok_code: i64) -> Value {
    match f.wire.as_str() {
        "success" if f.ty == TyIr::Bool => return json!(true),
        "code" if f.ty == TyIr::I64 => return json!(ok_code),
        "error_code" | "errorCode" | "err_no" | "error" => {
            return if f.ty == TyIr::String {
                json!("")
            } else {
                json!(0)
            }
        }
        "message" | "description" | "errorMsg" | "errorMessage" if f.ty == TyIr::String => {
            return json!("success")
        }
        _ => {}
    }
    if let Some(e) = &f.example {
        return e.clone();
    }
    if let Some(v) = f.enum_values.first() {
        return if f.ty == TyIr::I64 {
            v.parse::<i64>().map_or(json!(0), |i| json!(i))
        } else {
            json!(v)
        };
    }
    value(&f.ty, &f.wire, api, ok_code)
}

fn value(t: &TyIr, wire: &str, api: &Api, ok_code: i64) -> Value {
    match t {
        TyIr::String | TyIr::Secret => json!(format!("{wire}-1")),
        TyIr::I64 => json!(1001),
        TyIr::Bool => json!(true),
        TyIr::F64 => json!(1.5),
        // Platforms send money as strings; the client reads both.
        TyIr::Decimal => json!("128.50"),
        TyIr::DateTime => json!("2024-03-01 12:00:00"),
        TyIr::Json => json!({}),
        TyIr::File => Value::Null,
        TyIr::Vec(inner) => json!([value(inner, wire, api, ok_code)]),
        TyIr::Struct(name) => {
            let s = api.response_types.iter().find(|s| &s.ident == name);
            s.map_or(json!({}), |s| object(s, api, ok_code))
        }
    }
}

/// A page of a paged API's data set of `count` items: the item at position `i` (from 0) has id
/// `i + 1` in every member named like an id (`id`, `tid`, `order_id`, `baseInfo.id`...), and
/// the page's members say what the API's `paging:` reads (total, has-next, next cursor). `get`
/// reads a request param as text.
pub fn page(
    api: &Api,
    ok_code: i64,
    get: &dyn Fn(&str) -> Option<String>,
    count: u64,
    gone: &std::collections::BTreeSet<u64>,
) -> Option<Value> {
    let pg = api.paging.as_ref()?;
    let mut data = object(&api.response, api, ok_code);
    let int = |name: &str| get(name).and_then(|v| v.trim().parse::<i64>().ok());
    let size = pg
        .size
        .as_deref()
        .and_then(int)
        .or(pg.max_size.map(i64::from))
        .unwrap_or(20)
        .max(1) as u64;
    let start = match pg.style {
        PagingStyle::Page { first, .. } => {
            let page = int(&pg.position).unwrap_or(first);
            (page - first).max(0) as u64 * size
        }
        PagingStyle::Cursor => int(&pg.position).unwrap_or(0).max(0) as u64,
    };
    // The ids still in the data set, in order: items modified while paging leave it (their
    // modification time is now outside the window) and the others move up.
    let ids: Vec<u64> = if gone.is_empty() {
        Vec::new()
    } else {
        (1..=count).filter(|id| !gone.contains(id)).collect()
    };
    let count = if gone.is_empty() {
        count
    } else {
        ids.len() as u64
    };
    let id_at = |i: u64| {
        if gone.is_empty() {
            i + 1
        } else {
            ids[i as usize]
        }
    };
    let end = start.saturating_add(size).min(count);
    let template = match &pg.item_ty {
        TyIr::Struct(name) => api
            .response_types
            .iter()
            .find(|s| &s.ident == name)
            .map_or(json!({}), |s| object(s, api, ok_code)),
        other => value(other, "item", api, ok_code),
    };
    let items: Vec<Value> = (start..end.max(start))
        .map(|i| {
            let mut item = template.clone();
            set_ids(&mut item, id_at(i));
            item
        })
        .collect();
    let wires: Vec<&str> = pg.items.iter().map(|(w, _)| w.as_str()).collect();
    put(&mut data, &wires, Value::Array(items));
    let total: Vec<&str> = pg.total.iter().map(String::as_str).collect();
    put(&mut data, &total, json!(count));
    let has_next: Vec<&str> = pg.has_next.iter().map(String::as_str).collect();
    put(&mut data, &has_next, json!(end < count));
    let next: Vec<&str> = pg.next_cursor.iter().map(String::as_str).collect();
    let cursor_is_text = response_field(api, &pg.next_cursor).is_some_and(|f| f.ty == TyIr::String);
    let next_value = if cursor_is_text {
        json!(end.to_string())
    } else {
        json!(end)
    };
    put(&mut data, &next, next_value);
    Some(data)
}

/// The response field at a wire path.
fn response_field<'a>(api: &'a Api, path: &[String]) -> Option<&'a FieldIr> {
    let mut at = &api.response;
    let mut found = None;
    for seg in path {
        let f = at.fields.iter().find(|f| &f.wire == seg)?;
        found = Some(f);
        if let TyIr::Struct(name) = &f.ty {
            if let Some(s) = api.response_types.iter().find(|s| &s.ident == name) {
                at = s;
            }
        }
    }
    found
}

/// Sets the value at `path` (creating objects on the way); an empty path sets nothing.
fn put(data: &mut Value, path: &[&str], v: Value) {
    let Some((last, head)) = path.split_last() else {
        return;
    };
    let mut at = data;
    for seg in head {
        if !at.get(*seg).is_some_and(Value::is_object) {
            at[*seg] = json!({});
        }
        at = &mut at[*seg];
    }
    at[*last] = v;
}

/// Every member named like an id, at any depth, becomes `id` (text where it was text).
fn set_ids(v: &mut Value, id: u64) {
    match v {
        Value::Object(m) => {
            for (k, member) in m.iter_mut() {
                let is_id = k == "id"
                    || k == "tid"
                    || k.ends_with("_id")
                    || k.ends_with("Id")
                    || k.ends_with("ID");
                match member {
                    Value::String(_) if is_id => *member = json!(id.to_string()),
                    Value::Number(_) if is_id => *member = json!(id),
                    other => set_ids(other, id),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|e| set_ids(e, id)),
        _ => {}
    }
}
