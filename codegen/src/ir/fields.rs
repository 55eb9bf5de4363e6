//! Lowering fields and types: names, enums, limits, nested objects.

use super::model::*;
use crate::diag::{Diagnostics, Pos};
use crate::names::{escape, pascal, snake, Namer};
use crate::spec::{self, Scalar, Ty};
use std::collections::BTreeMap;

#[allow(clippy::too_many_arguments)]
pub(super) fn lower_fields(
    fields: &[spec::Field],
    owner: &str,
    is_param: bool,
    type_namer: &mut Namer,
    types: &mut Vec<StructIr>,
    d: &mut Diagnostics,
    reserved: &[&str],
) -> Vec<FieldIr> {
    let mut namer = Namer::with_reserved(reserved);
    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, &Pos> = BTreeMap::new();
    for f in fields {
        if !is_param {
            if let Some(first) = seen.get(f.name.as_str()) {
                d.push(
                    &f.pos,
                    format!("duplicate field `{}` (first at {first})", f.name),
                );
                continue;
            }
            seen.insert(&f.name, &f.pos);
        }
        let ident = escape(&namer.claim(snake(&f.name)));
        let location = match &f.location {
            None => Location::Default,
            Some(l) => match l.value.as_str() {
                "query" => Location::Query,
                "body" => Location::Body,
                "form" => Location::Form,
                "path" => Location::Path,
                "header" => Location::Header,
                other => {
                    d.push(&l.pos, format!("unknown param location `{other}`, expected one of: query, body, form, path, header"));
                    Location::Default
                }
            },
        };
        if !f.enum_values.is_empty()
            && !matches!(
                f.ty,
                Ty::Scalar(Scalar::String | Scalar::Int | Scalar::Long)
            )
        {
            d.push(
                &f.pos,
                format!(
                    "`enum` is allowed on string, int and long fields; `{}` is not one",
                    f.name
                ),
            );
        }
        if !is_param && f.ty.contains_file() {
            d.push(
                &f.pos,
                format!(
                    "field `{}`: type `file` is only for request params (uploads)",
                    f.name
                ),
            );
        }
        if is_param && f.ty.contains_file() && f.ty != Ty::Scalar(Scalar::File) {
            d.push(
                &f.pos,
                format!(
                    "param `{}`: files cannot be nested in arrays or objects",
                    f.name
                ),
            );
        }
        let hint = format!("{owner}{}", pascal(&f.name));
        if f.secret && f.ty != Ty::Scalar(Scalar::String) {
            d.push(
                &f.pos,
                format!("`{}`: `secret: true` is only for string fields", f.name),
            );
        }
        check_limits(f, d);
        let enum_type = enum_of(f, &hint, type_namer);
        let ty = if f.secret {
            TyIr::Secret
        } else {
            lower_ty(&f.ty, &hint, is_param, type_namer, types, d)
        };
        out.push(FieldIr {
            wire: f.name.clone(),
            ident,
            ty,
            required: f.required,
            description: f.description.clone(),
            example: f.example.clone(),
            default: f.default.clone(),
            enum_values: f.enum_values.clone(),
            location,
            spec_ty: f.ty.describe(),
            limits: f.limits,
            pii: f.pii,
            enum_type,
        });
    }
    out
}

/// The enum of a string, int or long field with `enum:` values, named like a nested type.
pub(super) fn enum_of(f: &spec::Field, hint: &str, type_namer: &mut Namer) -> Option<EnumIr> {
    let numeric = match f.ty {
        Ty::Scalar(Scalar::String) if !f.secret => false,
        Ty::Scalar(Scalar::Int | Scalar::Long) => true,
        _ => return None,
    };
    if f.enum_values.is_empty() {
        return None;
    }
    let mut namer = Namer::with_reserved(&["Unknown"]);
    let mut seen = std::collections::BTreeSet::new();
    let variants = f
        .enum_values
        .iter()
        .filter(|v| seen.insert(v.as_str()))
        .enumerate()
        .map(|(i, value)| {
            // Values with no letter or digit (Chinese text) are named by their place.
            let base = if value.chars().any(|c| c.is_ascii_alphanumeric()) {
                pascal(value)
            } else {
                format!("Value{}", i + 1)
            };
            (namer.claim(base), value.clone())
        })
        .collect();
    Some(EnumIr {
        ident: type_namer.claim(hint.to_owned()),
        variants,
        numeric,
    })
}

/// Limits must fit the param's type: lengths of text and numbers, counts of lists, bounds of numbers.
pub(super) fn check_limits(f: &spec::Field, d: &mut Diagnostics) {
    let elem = match &f.ty {
        Ty::Array(inner) => inner.as_ref(),
        other => other,
    };
    let is_array = matches!(f.ty, Ty::Array(_));
    let text_like = matches!(
        elem,
        Ty::Scalar(Scalar::String | Scalar::Int | Scalar::Long | Scalar::Decimal | Scalar::Double)
    );
    let numeric = matches!(
        elem,
        Ty::Scalar(Scalar::Int | Scalar::Long | Scalar::Decimal | Scalar::Double)
    );
    let ty = f.ty.describe();
    if f.limits.max_length.is_some() && !text_like {
        d.push(
            &f.pos,
            format!(
                "`{}`: `max_length` is for text and number params, not `{ty}`",
                f.name
            ),
        );
    }
    if f.limits.max_items.is_some() && !is_array {
        d.push(
            &f.pos,
            format!("`{}`: `max_items` is for list params, not `{ty}`", f.name),
        );
    }
    if (f.limits.min.is_some() || f.limits.max.is_some()) && !numeric {
        d.push(
            &f.pos,
            format!(
                "`{}`: `min` and `max` are for number params, not `{ty}`",
                f.name
            ),
        );
    }
}

pub(super) fn lower_ty(
    ty: &Ty,
    hint: &str,
    is_param: bool,
    type_namer: &mut Namer,
    types: &mut Vec<StructIr>,
    d: &mut Diagnostics,
) -> TyIr {
    match ty {
        Ty::Scalar(s) => match s {
            Scalar::String => TyIr::String,
            Scalar::Int | Scalar::Long => TyIr::I64,
            Scalar::Bool => TyIr::Bool,
            Scalar::Double => TyIr::F64,
            Scalar::Decimal => TyIr::Decimal,
            Scalar::Date | Scalar::DateTime => TyIr::DateTime,
            Scalar::Json => TyIr::Json,
            Scalar::File => TyIr::File,
        },
        Ty::Array(inner) => {
            let item_hint = format!("{hint}Item");
            TyIr::Vec(Box::new(lower_ty(
                inner, &item_hint, is_param, type_namer, types, d,
            )))
        }
        Ty::Object(fields) => {
            let ident = type_namer.claim(hint.to_owned());
            let slot = types.len();
            types.push(StructIr {
                ident: ident.clone(),
                fields: Vec::new(),
            });
            let lowered = lower_fields(fields, &ident, is_param, type_namer, types, d, &["new"]);
            types[slot].fields = lowered;
            TyIr::Struct(ident)
        }
    }
}

impl Ty {
    fn contains_file(&self) -> bool {
        match self {
            Ty::Scalar(s) => *s == Scalar::File,
            Ty::Array(t) => t.contains_file(),
            Ty::Object(f) => f.iter().any(|f| f.ty.contains_file()),
        }
    }

    /// The type as a spec would write it (`string`, `long[]`, `object`).
    pub fn describe(&self) -> String {
        match self {
            Ty::Scalar(s) => s.as_str().to_owned(),
            Ty::Array(t) => format!("{}[]", t.describe()),
            Ty::Object(_) => "object".to_owned(),
        }
    }
}
