//! The runtime's dynamic path, shared by `opengate call` and the tests: API descriptions and
//! param values built at run time from the specs, without generated code.

pub mod dynamic {
    use opengate::{ApiDesc, AuthKind, HttpMethod, Limits, ParamLocation, ParamSpec};
    use opengate_codegen::ir::{self, TyIr};
    use serde_json::Value;

    /// The runtime's paging of a spec's `paging:`. Its names live as long as the process: a
    /// command makes one run, so the few bytes are leaked rather than threaded through.
    pub fn paging_of(p: &ir::PagingIr) -> &'static opengate::paging::Paging {
        use opengate::paging::{PageStyle, Paging};
        fn text(s: &str) -> &'static str {
            Box::leak(s.to_owned().into_boxed_str())
        }
        fn path<'a>(segments: impl Iterator<Item = &'a String>) -> &'static [&'static str] {
            Box::leak(
                segments
                    .map(|s| text(s))
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            )
        }
        Box::leak(Box::new(Paging {
            style: match p.style {
                ir::PagingStyle::Page { first, backward } => PageStyle::Page { first, backward },
                ir::PagingStyle::Cursor => PageStyle::Cursor,
            },
            position: text(&p.position),
            size: p.size.as_deref().map(text),
            max_size: p.max_size.unwrap_or(0),
            items: path(p.items.iter().map(|(wire, _)| wire)),
            total: path(p.total.iter()),
            has_next: path(p.has_next.iter()),
            next_cursor: path(p.next_cursor.iter()),
        }))
    }

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
            ir::Auth::Optional => AuthKind::Optional,
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
