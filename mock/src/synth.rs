//! Deterministic responses: the spec's `response_example`, or one built from the response shape.

use opengate_codegen::ir::{Api, FieldIr, StructIr, TyIr};
use serde_json::{json, Map, Value};

/// The response data for an API (what the spec's `response` describes).
pub fn response(api: &Api, protocol: &str) -> Value {
    if let Some(example) = &api.response_example {
        return example.clone();
    }
    object(&api.response, api, protocol)
}

fn object(s: &StructIr, api: &Api, protocol: &str) -> Value {
    let mut m = Map::new();
    for f in &s.fields {
        m.insert(f.wire.clone(), field(f, api, protocol));
    }
    Value::Object(m)
}

fn field(f: &FieldIr, api: &Api, protocol: &str) -> Value {
    match f.wire.as_str() {
        "success" if f.ty == TyIr::Bool => return json!(true),
        "code" if f.ty == TyIr::I64 => return json!(if protocol == "youzan" { 200 } else { 0 }),
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
    value(&f.ty, &f.wire, api, protocol)
}

fn value(t: &TyIr, wire: &str, api: &Api, protocol: &str) -> Value {
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
        TyIr::Vec(inner) => json!([value(inner, wire, api, protocol)]),
        TyIr::Struct(name) => {
            let s = api.response_types.iter().find(|s| &s.ident == name);
            s.map_or(json!({}), |s| object(s, api, protocol))
        }
    }
}
