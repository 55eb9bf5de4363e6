//! Request and response types: structs, enums, their JSON reading and writing, masked `Debug`.

use super::writer::*;
use crate::ir::{Api, EnumIr, FieldIr, Location, StructIr, TyIr};

/// A field's `enum:` values as a Rust enum: one variant each, and `Unknown` for a value the
/// spec does not list (the platform adds values; an answer must still read). Conversions
/// from and to the wire text; the JSON is a number for `int` and `long` fields.
pub(super) fn enum_type(w: &mut Writer, f: &FieldIr, e: &EnumIr) {
    let (i1, i2, i3, i4) = (INDENT, 2 * INDENT, 3 * INDENT, 4 * INDENT);
    let id = &e.ident;
    w.docs(
        i1,
        &[format!(
            "The values of `{}`; one the spec does not list reads as `Unknown`.",
            f.wire
        )],
    );
    w.line(i1, "#[derive(Debug, Clone, PartialEq, Eq, Hash)]");
    w.line(i1, &format!("pub enum {id} {{"));
    for (variant, wire) in &e.variants {
        w.docs(i2, &[code(wire)]);
        w.line(i2, &format!("{variant},"));
    }
    w.docs(
        i2,
        &["A value the spec does not list, as the platform sent it.".into()],
    );
    w.line(i2, "Unknown(String),");
    w.line(i1, "}");
    w.line(i1, &format!("impl {id} {{"));
    w.docs(i2, &["The value as the platform writes it.".into()]);
    w.line(i2, "pub fn as_str(&self) -> &str {");
    w.line(i3, "match self {");
    for (variant, wire) in &e.variants {
        w.line(i4, &format!("Self::{variant} => {},", lit(wire)));
    }
    w.line(i4, "Self::Unknown(value) => value,");
    w.line(i3, "}");
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, &format!("impl From<&str> for {id} {{"));
    w.line(i2, "fn from(value: &str) -> Self {");
    w.line(i3, "match value {");
    for (variant, wire) in &e.variants {
        w.line(i4, &format!("{} => Self::{variant},", lit(wire)));
    }
    w.line(i4, "_ => Self::Unknown(value.to_owned()),");
    w.line(i3, "}");
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, &format!("impl From<String> for {id} {{"));
    w.line(i2, "fn from(value: String) -> Self {");
    w.line(i3, "Self::from(value.as_str())");
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, &format!("impl From<{id}> for String {{"));
    w.line(i2, &format!("fn from(value: {id}) -> Self {{"));
    w.line(i3, "value.as_str().to_owned()");
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, &format!("impl __rt::ToJson for {id} {{"));
    w.line(i2, "fn to_json(&self) -> __rt::Value {");
    w.line(
        i3,
        &format!("__rt::enum_json(self.as_str(), {})", e.numeric),
    );
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, &format!("impl __rt::FromJson for {id} {{"));
    w.line(
        i2,
        "const EXPECTED: &'static str = \"one of the listed values\";",
    );
    w.line(
        i2,
        "fn from_scalar(value: __rt::Scalar<'_>) -> __rt::Decoded<Self> {",
    );
    w.line(i3, "Ok(__rt::enum_text(value).map(Self::from))");
    w.line(i2, "}");
    w.line(i1, "}");
    serde_impls(w, id, true);
}

/// Files travel as multipart parts (`ApiRequest::files`), not as params.
pub(super) fn files_fn(w: &mut Writer, api: &Api) {
    let files: Vec<&FieldIr> = api.params.iter().filter(|f| f.ty == TyIr::File).collect();
    if files.is_empty() {
        return;
    }
    let (i2, i3, i4) = (2 * INDENT, 3 * INDENT, 4 * INDENT);
    w.line(
        i2,
        "fn files(&self) -> Vec<(&'static str, ::opengate::File)> {",
    );
    // Required files in `Vec::from([...])` (prettyplease lays `vec![]` out as one run of tokens),
    // optional ones pushed when set (clippy's vec_init_then_push).
    let (required, optional): (Vec<&FieldIr>, Vec<&FieldIr>) =
        files.into_iter().partition(|f| f.required);
    let items: Vec<String> = required
        .iter()
        .map(|f| format!("({}, self.{}.clone())", lit(&f.wire), f.ident))
        .collect();
    if optional.is_empty() {
        w.list(i3, "Vec::from([", &items, "])");
    } else {
        if items.is_empty() {
            w.line(i3, "let mut files = Vec::new();");
        } else {
            w.list(i3, "let mut files = Vec::from([", &items, "]);");
        }
        for f in optional {
            w.line(i3, &format!("if let Some(f) = &self.{} {{", f.ident));
            w.line(i4, &format!("files.push(({}, f.clone()));", lit(&f.wire)));
            w.line(i3, "}");
        }
        w.line(i3, "files");
    }
    w.line(i2, "}");
}

pub(super) fn field_doc(f: &FieldIr, is_param: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(d) = &f.description {
        lines.extend(prose(d));
        lines.push(String::new());
    }
    let mut facts = vec![
        format!("wire name {}", code(&f.wire)),
        format!("type {}", code(&f.spec_ty)),
    ];
    if is_param {
        facts.push(if f.required {
            "required".into()
        } else {
            "optional".into()
        });
        if f.location != Location::Default {
            facts.push(format!("in {}", f.location.as_str()));
        }
    }
    if let Some(e) = &f.example {
        facts.push(format!("example {}", code(&json_text(e))));
    }
    if let Some(e) = &f.default {
        facts.push(format!("default {}", code(&json_text(e))));
    }
    if !f.enum_values.is_empty() {
        let vals: Vec<String> = f.enum_values.iter().map(|v| code(v)).collect();
        facts.push(format!("one of {}", vals.join(", ")));
    }
    let l = &f.limits;
    if let Some(n) = l.max_length {
        facts.push(format!("at most {n} characters"));
    }
    if let Some(n) = l.max_items {
        facts.push(format!("at most {n} elements"));
    }
    match (l.min, l.max) {
        (Some(a), Some(b)) => facts.push(format!("from {a} to {b}")),
        (Some(a), None) => facts.push(format!("at least {a}")),
        (None, Some(b)) => facts.push(format!("at most {b}")),
        (None, None) => {}
    }
    if f.pii {
        facts.push("personal data or a credential, masked in `Debug`".into());
    }
    lines.push(format!("{}.", facts.join(", ")));
    lines
}

pub(super) fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The Rust type of a request field's value.
pub(super) fn req_ty(t: &TyIr) -> String {
    match t {
        TyIr::String => "String".into(),
        TyIr::I64 => "i64".into(),
        TyIr::Bool => "bool".into(),
        TyIr::F64 => "f64".into(),
        TyIr::Decimal => "::opengate::Decimal".into(),
        TyIr::DateTime => "::opengate::DateTime".into(),
        TyIr::Json => "__rt::Value".into(),
        TyIr::File => "::opengate::File".into(),
        TyIr::Secret => "::opengate::Secret".into(),
        TyIr::Vec(inner) => format!("Vec<{}>", req_ty(inner)),
        TyIr::Struct(s) => s.clone(),
    }
}

pub(super) fn request_struct(w: &mut Writer, s: &StructIr, is_root: bool) {
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    let sdoc = if is_root {
        "The request. Required params are the arguments of [`Request::new`]; optional ones have setters.".to_owned()
    } else {
        format!("Part of the request: `{}`.", s.ident)
    };
    w.docs(i1, &[sdoc]);
    w.line(
        i1,
        if masks(s) {
            "#[derive(Clone, PartialEq)]"
        } else {
            "#[derive(Debug, Clone, PartialEq)]"
        },
    );
    w.line(i1, "#[non_exhaustive]");
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut puts = Vec::new();
    if s.fields.is_empty() {
        w.line(i1, &format!("pub struct {} {{}}", s.ident));
    } else {
        w.line(i1, &format!("pub struct {} {{", s.ident));
        for f in &s.fields {
            w.docs(i2, &field_doc(f, true));
            let t = field_ty(f);
            if f.required {
                w.line(i2, &format!("pub {}: {t},", f.ident));
            } else {
                w.line(i2, &format!("pub {}: Option<{t}>,", f.ident));
            }
        }
        w.line(i1, "}");
    }
    masked_debug(w, s);
    w.line(i1, &format!("impl {} {{", s.ident));
    for f in &s.fields {
        let i = &f.ident;
        let into = takes_into(f);
        if f.required {
            args.push(format!("{i}: {}", arg_ty(f)));
            inits.push(if into {
                format!("{i}: {i}.into()")
            } else {
                i.clone()
            });
        } else {
            inits.push(format!("{i}: None"));
        }
        // Files travel as multipart parts (`ApiRequest::files`), not as params.
        if f.ty != TyIr::File {
            let put = if f.required { "put" } else { "put_opt" };
            puts.push((put, lit(&f.wire), format!("&self.{i}")));
        }
    }
    w.docs(
        i2,
        &[if args.is_empty() {
            "A request with no params set.".to_owned()
        } else {
            "A request with its required params; set optional ones with the setters.".to_owned()
        }],
    );
    w.line(
        i2,
        "#[allow(clippy::new_without_default, clippy::too_many_arguments)]",
    );
    w.list(i2, "pub fn new(", &args, ") -> Self {");
    w.struct_literal(i3, "", &inits, "");
    w.line(i2, "}");
    for f in s.fields.iter().filter(|f| !f.required) {
        let i = &f.ident;
        w.docs(i2, &[format!("Sets `{}` (optional).", f.wire)]);
        w.list(
            i2,
            &format!("pub fn {i}("),
            &["mut self".into(), format!("{i}: {}", arg_ty(f))],
            ") -> Self {",
        );
        let value = if takes_into(f) {
            format!("{i}.into()")
        } else {
            i.clone()
        };
        w.line(i3, &format!("self.{i} = Some({value});"));
        w.line(i3, "self");
        w.line(i2, "}");
    }
    w.line(i1, "}");
    to_json_impl(w, &s.ident, puts, None);
    serde_impls(w, &s.ident, false);
}

/// The Rust type of a field's value: its enum, or the type's.
pub(super) fn field_ty(f: &FieldIr) -> String {
    match &f.enum_type {
        Some(e) => e.ident.clone(),
        None => req_ty(&f.ty),
    }
}

/// Whether a constructor or setter takes `impl Into<..>` for the field.
pub(super) fn takes_into(f: &FieldIr) -> bool {
    f.enum_type.is_some() || matches!(f.ty, TyIr::String | TyIr::Secret)
}

/// The type a constructor or setter takes for a field.
pub(super) fn arg_ty(f: &FieldIr) -> String {
    match (&f.enum_type, &f.ty) {
        (Some(e), _) => format!("impl Into<{}>", e.ident),
        (None, TyIr::String) => "impl Into<String>".into(),
        (None, TyIr::Secret) => "impl Into<::opengate::Secret>".into(),
        (None, other) => req_ty(other),
    }
}

/// The Rust type of a response field: scalars and objects are `Option`, arrays are `Vec`.
pub(super) fn resp_ty(f: &FieldIr) -> String {
    match &f.ty {
        TyIr::Vec(_) => req_ty(&f.ty),
        _ => format!("Option<{}>", field_ty(f)),
    }
}

/// `impl ToJson`: each field under its wire name (`put` for a value that is always there,
/// `put_opt` for an `Option`), behind `cfg` when `cfg` is given.
pub(super) fn to_json_impl(
    w: &mut Writer,
    ident: &str,
    puts: Vec<(&str, String, String)>,
    cfg: Option<&str>,
) {
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    if let Some(c) = cfg {
        w.line(i1, c);
    }
    w.line(i1, &format!("impl __rt::ToJson for {ident} {{"));
    w.line(i2, "fn to_json(&self) -> __rt::Value {");
    let m = if puts.is_empty() { "m" } else { "mut m" };
    w.line(i3, &format!("let {m} = __rt::Map::new();"));
    for (put, wire, value) in puts {
        w.list(
            i3,
            &format!("__rt::{put}("),
            &["&mut m".into(), wire, value],
            ");",
        );
    }
    w.line(i3, "__rt::Value::Object(m)");
    w.line(i2, "}");
    w.line(i1, "}");
}

/// With the generated crates' `serde` feature: `Serialize` (the type's JSON, wire names) and,
/// for answers, `Deserialize` (the runtime's lenient reader). Thin impls over runtime helpers:
/// serde's derives cost 7x the check time of the crate (docs/PERFORMANCE.md).
pub(super) fn serde_impls(w: &mut Writer, ident: &str, deserialize: bool) {
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    w.line(i1, SERDE_CFG);
    w.line(i1, &format!("impl __rt::Serialize for {ident} {{"));
    w.line(
        i2,
        "fn serialize<S: __rt::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {",
    );
    w.line(i3, "__rt::serialize(self, s)");
    w.line(i2, "}");
    w.line(i1, "}");
    if deserialize {
        w.line(i1, SERDE_CFG);
        w.line(
            i1,
            &format!("impl<'de> __rt::Deserialize<'de> for {ident} {{"),
        );
        w.line(
            i2,
            "fn deserialize<D: __rt::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {",
        );
        w.line(i3, "__rt::deserialize(d)");
        w.line(i2, "}");
        w.line(i1, "}");
    }
}

pub(super) const SERDE_CFG: &str = "#[cfg(feature = \"serde\")]";

pub(super) fn response_struct(w: &mut Writer, s: &StructIr) {
    let doc = if s.ident == "Response" {
        "The response data. Absent, `null` and `\"\"` values read as `None`; numbers sent as strings (and the reverse) are accepted.".to_owned()
    } else {
        format!("Part of the response: `{}`.", s.ident)
    };
    read_struct(w, s, &[doc]);
}

/// A type read from the platform's JSON (an answer, a push payload), with its docs.
pub(super) fn read_struct(w: &mut Writer, s: &StructIr, doc: &[String]) {
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    w.docs(i1, doc);
    w.line(
        i1,
        if masks(s) {
            "#[derive(Clone, Default, PartialEq)]"
        } else {
            "#[derive(Debug, Clone, Default, PartialEq)]"
        },
    );
    w.line(i1, "#[non_exhaustive]");
    let mut arms = Vec::new();
    if s.fields.is_empty() {
        w.line(i1, &format!("pub struct {} {{}}", s.ident));
    } else {
        w.line(i1, &format!("pub struct {} {{", s.ident));
        for f in &s.fields {
            w.docs(i2, &field_doc(f, false));
            w.line(i2, &format!("pub {}: {},", f.ident, resp_ty(f)));
            arms.push(format!("{} => &mut self.{},", lit(&f.wire), f.ident));
        }
        w.line(i1, "}");
    }
    masked_debug(w, s);
    w.line(i1, &format!("impl __rt::Object for {} {{", s.ident));
    if arms.is_empty() {
        w.line(
            i2,
            "fn member(&mut self, _key: &str) -> Option<&mut dyn __rt::Sink> {",
        );
        w.line(i3, "None");
    } else {
        w.line(
            i2,
            "fn member(&mut self, key: &str) -> Option<&mut dyn __rt::Sink> {",
        );
        w.line(i3, "let field: &mut dyn __rt::Sink = match key {");
        for arm in &arms {
            w.line(4 * INDENT, arm);
        }
        w.line(4 * INDENT, "_ => return None,");
        w.line(i3, "};");
        w.line(i3, "Some(field)");
    }
    w.line(i2, "}");
    w.line(i1, "}");
    let puts = s
        .fields
        .iter()
        .map(|f| {
            let put = if matches!(f.ty, TyIr::Vec(_)) {
                "put"
            } else {
                "put_opt"
            };
            (put, lit(&f.wire), format!("&self.{}", f.ident))
        })
        .collect();
    to_json_impl(w, &s.ident, puts, Some(SERDE_CFG));
    serde_impls(w, &s.ident, true);
}

/// Whether a struct has `pii` fields, whose values its `Debug` masks.
pub(super) fn masks(s: &StructIr) -> bool {
    s.fields.iter().any(|f| f.pii)
}

/// The `Debug` of a struct with `pii` fields: the derived one's output with their values `***`.
pub(super) fn masked_debug(w: &mut Writer, s: &StructIr) {
    if !masks(s) {
        return;
    }
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    w.line(i1, &format!("impl ::core::fmt::Debug for {} {{", s.ident));
    w.line(
        i2,
        "fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {",
    );
    w.line(
        i3,
        &format!("let mut s = f.debug_struct({});", lit(&s.ident)),
    );
    for f in &s.fields {
        let name = lit(f.ident.trim_start_matches("r#"));
        if f.pii {
            w.line(i3, &format!("s.field({name}, &__rt::Masked);"));
        } else {
            w.line(i3, &format!("s.field({name}, &self.{});", f.ident));
        }
    }
    w.line(i3, "s.finish()");
    w.line(i2, "}");
    w.line(i1, "}");
}
