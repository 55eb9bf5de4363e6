//! The runtime's dynamic path, shared by `opengate call` and the tests: API descriptions and
//! param values built at run time from the specs, without generated code.

pub mod dynamic {
    use opengate::{ApiDesc, AuthKind, HttpMethod, Limits, ParamLocation, ParamSpec};
    use opengate_codegen::ir::{self, TyIr};
    use serde_json::Value;

    /// The runtime description of a spec's API.
    pub fn desc_of(api: &ir::Api) -> ApiDesc {
        let loc = |l: ir::Location| match l {
            ir::Location::Default => ParamLocation::Default,
            ir::Location::Query => ParamLocation::Query,
            ir::Location::Body => ParamLocation::Body,
            ir::Location::Form => ParamLocation::Form,
            ir::Location::Path => ParamLocation::Path,
            ir::Location::Header => ParamLocation::Header,
        };
        let auth = match api.auth {
            ir::Auth::None => AuthKind::None,
            ir::Auth::App => AuthKind::App,
            ir::Auth::User => AuthKind::User,
            ir::Auth::Client => AuthKind::Client,
        };
        let params = api
            .params
            .iter()
            .filter(|f| f.location != ir::Location::Default || !f.limits.is_none())
            .map(|f| ParamSpec {
                name: f.wire.clone().into(),
                location: loc(f.location),
                limits: Limits::new(
                    f.limits.max_length,
                    f.limits.max_items,
                    f.limits.min,
                    f.limits.max,
                ),
            })
            .collect();
        ApiDesc::new(
            &api.platform,
            &api.name,
            &api.version,
            match api.method {
                ir::Method::Get => HttpMethod::Get,
                ir::Method::Post => HttpMethod::Post,
                ir::Method::Put => HttpMethod::Put,
                ir::Method::Delete => HttpMethod::Delete,
                ir::Method::Patch => HttpMethod::Patch,
            },
            &api.base_url,
            &api.path,
            &api.namespace,
            auth,
            api.idempotent,
            params,
        )
    }

    /// Converts a `-p key=value` text to the param's JSON type.
    pub fn typed(f: &ir::FieldIr, text: &str) -> Result<Value, String> {
        let bad = |what: &str| format!("param `{}` must be {what}, got `{text}`", f.wire);
        Ok(match &f.ty {
            TyIr::String | TyIr::Secret | TyIr::Decimal | TyIr::DateTime => {
                Value::String(text.to_owned())
            }
            TyIr::I64 => Value::from(text.trim().parse::<i64>().map_err(|_| bad("an integer"))?),
            TyIr::F64 => serde_json::Number::from_f64(
                text.trim().parse::<f64>().map_err(|_| bad("a number"))?,
            )
            .map(Value::Number)
            .ok_or_else(|| bad("a finite number"))?,
            TyIr::Bool => Value::Bool(match text.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad("true or false")),
            }),
            TyIr::File => {
                return Err(format!(
                    "param `{}` is a file upload, which `opengate call` does not send",
                    f.wire
                ))
            }
            TyIr::Json | TyIr::Vec(_) | TyIr::Struct(_) => {
                serde_json::from_str(text).map_err(|_| bad("JSON"))?
            }
        })
    }
}

/// Example requests built from a spec: every required param with a value of its type that
/// respects its limits (the spec's example or default when it has one). The all-APIs
/// round-trip test sends these; a user sees what a call needs.
pub mod example {
    use opengate_codegen::ir::{self, FieldIr, TyIr};
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

    fn field(f: &FieldIr, types: &[ir::StructIr]) -> Value {
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

    fn value(t: &TyIr, f: &FieldIr, types: &[ir::StructIr]) -> Value {
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
}
