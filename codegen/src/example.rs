//! Example requests built from a spec: every required param with a value of its type that
//! respects its limits (the spec's example or default when it has one), as JSON for the
//! runtime's dynamic path ([`required_params`]) and as Rust source that calls an API's typed
//! method ([`typed_call`]). The catalog tests send both through the mock for every shipped
//! API; a user sees what a call needs.

use crate::ir::{self, FieldIr, StructIr, TyIr};
use serde_json::{json, Map, Value};

/// The required params of `api` with example values; files are left out (they travel as
/// multipart parts, not params).
pub fn required_params(api: &ir::Api) -> Map<String, Value> {
    let mut m = Map::new();
    for f in api
        .params
        .iter()
        .filter(|f| f.required && f.ty != TyIr::File)
    {
        m.insert(f.wire.clone(), field(f, &api.request_types));
    }
    m
}

fn field(f: &FieldIr, types: &[StructIr]) -> Value {
    if let Some(v) = f
        .example
        .as_ref()
        .or(f.default.as_ref())
        .filter(|v| fits(f, v))
    {
        return v.clone();
    }
    if let Some(first) = f.enum_values.first() {
        return match f.ty {
            TyIr::I64 => first.parse::<i64>().map_or(json!(1), Value::from),
            _ => json!(first),
        };
    }
    value(&f.ty, f, types)
}

/// Whether a spec's example is a value of the field's type (catalog examples often are not).
fn fits(f: &FieldIr, v: &Value) -> bool {
    let ok = match (&f.ty, v) {
        (TyIr::String | TyIr::Secret, Value::String(_)) => true,
        (TyIr::I64, Value::Number(n)) => n.is_i64(),
        (TyIr::I64, Value::String(s)) => s.parse::<i64>().is_ok(),
        (TyIr::Bool, Value::Bool(_)) => true,
        _ => false,
    };
    ok && f
        .limits
        .max_length
        .is_none_or(|m| v.to_string().trim_matches('"').encode_utf16().count() <= m as usize)
        && f.limits.min.is_none()
        && f.limits.max.is_none()
}

fn value(t: &TyIr, f: &FieldIr, types: &[StructIr]) -> Value {
    let l = &f.limits;
    match t {
        TyIr::String | TyIr::Secret => {
            let len = l.max_length.map_or(4, |m| m.clamp(1, 4) as usize);
            json!("x".repeat(len))
        }
        TyIr::I64 => json!(l.min.unwrap_or(1).max(l.max.map_or(i64::MIN, |m| m.min(1)))),
        TyIr::Bool => json!(true),
        TyIr::F64 => json!(1.5),
        TyIr::Decimal => json!("1.00"),
        TyIr::DateTime => json!("2024-03-01 12:00:00"),
        TyIr::Json => json!({}),
        TyIr::File => Value::Null,
        TyIr::Vec(inner) => json!([value(inner, f, types)]),
        TyIr::Struct(name) => {
            let mut m = Map::new();
            if let Some(s) = types.iter().find(|s| &s.ident == name) {
                for g in s.fields.iter().filter(|g| g.required) {
                    m.insert(g.wire.clone(), field(g, types));
                }
            }
            Value::Object(m)
        }
    }
}

/// The Rust expression that calls `api`'s typed method on `client` with the example values
/// of [`required_params`] (a file param gets a few bytes of PNG):
/// `client.taobao().trade_get_v2_0(m::Request::new("tid", 1_i64))`, where `m` names the API's
/// module (`<crate>::<platform>::<module>`, brought in by the caller). `given` may supply the
/// Rust expression of a top-level param instead (a credential, a code): a required one's
/// argument, or an optional one's setter.
pub fn typed_call(
    platform: &ir::Platform,
    api: &ir::Api,
    client: &str,
    given: &dyn Fn(&FieldIr) -> Option<String>,
) -> String {
    let values = required_params(api);
    let mut args = Vec::new();
    let mut setters = String::new();
    for f in &api.params {
        match (given(f), f.required) {
            (Some(expr), true) => args.push(expr),
            (Some(expr), false) => setters.push_str(&format!(".{}({expr})", f.ident)),
            (None, true) => {
                let v = values.get(&f.wire).cloned().unwrap_or(Value::Null);
                args.push(field_expr(f, &v, &api.request_types));
            }
            (None, false) => {}
        }
    }
    format!(
        "{client}.{}().{}(m::Request::new({}){setters})",
        platform.name,
        api.module,
        args.join(", ")
    )
}

fn field_expr(f: &FieldIr, v: &Value, types: &[StructIr]) -> String {
    if f.enum_type.is_some() {
        // Constructors and setters take `impl Into<TheEnum>`, which a `&str` is.
        return format!("{:?}", text(v));
    }
    ty_expr(&f.ty, v, types, true)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.first().map(text).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// `into`: the value goes where `impl Into<..>` is taken (a constructor's argument), which a
/// `&str` is for text; a vector's element is the type itself.
fn ty_expr(t: &TyIr, v: &Value, types: &[StructIr], into: bool) -> String {
    match t {
        TyIr::String | TyIr::Secret if into => format!("{:?}", text(v)),
        TyIr::String => format!("{:?}.to_owned()", text(v)),
        TyIr::Secret => format!("::opengate::Secret::from({:?})", text(v)),
        TyIr::I64 => {
            let n = v.as_i64().or_else(|| text(v).parse().ok()).unwrap_or(1);
            format!("{n}_i64")
        }
        TyIr::Bool => v.as_bool().unwrap_or(true).to_string(),
        TyIr::F64 => format!("{:?}_f64", v.as_f64().unwrap_or(1.5)),
        TyIr::Decimal => format!("{:?}.parse::<::opengate::Decimal>().unwrap()", text(v)),
        TyIr::DateTime => format!(
            "::opengate::DateTime::parse_beijing({:?}).unwrap()",
            text(v)
        ),
        TyIr::Json => format!(
            "::serde_json::from_str::<::serde_json::Value>({:?}).unwrap()",
            v.to_string()
        ),
        TyIr::File => {
            "::opengate::File::new(\"a.png\", \"image/png\", vec![0x89, b'P', b'N', b'G'])".into()
        }
        TyIr::Vec(inner) => {
            let items: Vec<String> = match v {
                Value::Array(a) => a.iter().map(|e| ty_expr(inner, e, types, false)).collect(),
                other => vec![ty_expr(inner, other, types, false)],
            };
            format!("vec![{}]", items.join(", "))
        }
        TyIr::Struct(name) => {
            let args: Vec<String> = types
                .iter()
                .find(|s| &s.ident == name)
                .map(|s| {
                    s.fields
                        .iter()
                        .filter(|g| g.required)
                        .map(|g| {
                            let gv = v.get(&g.wire).cloned().unwrap_or_else(|| field(g, types));
                            field_expr(g, &gv, types)
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("m::{name}::new({})", args.join(", "))
        }
    }
}
