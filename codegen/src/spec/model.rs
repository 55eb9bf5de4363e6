//! The spec model's types: platforms, APIs, fields and types, each value with its position.

use crate::diag::Pos;
use std::path::PathBuf;

/// Everything loaded from a specs folder.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub platforms: Vec<Platform>,
    pub apis: Vec<Api>,
    /// Push message kinds (`messages:` lists in files directly in a platform folder).
    pub messages: Vec<Message>,
    /// Every file read, for `rerun-if-changed`.
    pub files: Vec<PathBuf>,
}

/// A platform file.
#[derive(Debug, Clone)]
pub struct Platform {
    pub pos: Pos,
    /// The folder name, e.g. `youzan`.
    pub folder: String,
    pub name: Located<String>,
    pub title: Option<String>,
    pub protocol: Located<String>,
    /// Named hosts (`default` is used when an API names none), in file order.
    pub hosts: Vec<(Located<String>, Located<String>)>,
    pub description: Option<String>,
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub pos: Pos,
    pub value: T,
}

/// One API.
#[derive(Debug, Clone)]
pub struct Api {
    pub pos: Pos,
    /// The platform folder the file is in.
    pub platform: String,
    pub name: Located<String>,
    pub version: Located<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub auth: Located<String>,
    pub method: Located<String>,
    pub host: Option<Located<String>>,
    pub path: Option<Located<String>>,
    pub namespace: Option<String>,
    pub idempotent: Option<bool>,
    pub params: Vec<Field>,
    pub response: Option<Located<Vec<Field>>>,
    pub response_example: Option<serde_json::Value>,
    pub doc_url: Option<String>,
    /// Where an imported spec came from (`source:`), for its docs.
    pub source: Option<Source>,
    /// The group folder (`specs/<platform>/<group>/...`) the file is in; `None` directly in the
    /// platform folder. Each group is a cargo feature of the generated crate.
    pub group: Option<String>,
    /// How the API pages (`paging:`), when it does.
    pub paging: Option<Paging>,
}

/// `paging:` of a paged API: which request params and response members carry the paging, as
/// the platform's doc names them. Validated against the params and the response in the IR.
#[derive(Debug, Clone)]
pub struct Paging {
    pub pos: Pos,
    /// `page` (a page number from `first`) or `cursor` (the answer says where to go on).
    pub style: Located<String>,
    /// The request param of the page number (`page` style).
    pub page: Option<Located<String>>,
    /// The first page's number: 1 (the default) or 0.
    pub first: Option<Located<i64>>,
    /// The request param of the page size (or, with `cursor`, of the count).
    pub size: Option<Located<String>>,
    /// The largest page size the platform takes: what a run asks for when the request sets none.
    pub max_size: Option<u32>,
    /// The response member holding the page's items (dotted for a nested one: `trades.trade`).
    pub items: Located<String>,
    /// The response member with the number of items in all pages.
    pub total: Option<Located<String>>,
    /// The response member that says whether more pages follow (`has_next`, `has_more`).
    pub has_next: Option<Located<String>>,
    /// The request param of the cursor (`cursor` style).
    pub cursor: Option<Located<String>>,
    /// The response member with the next cursor (`cursor` style).
    pub next_cursor: Option<Located<String>>,
    /// Read from the last page to the first (Taobao's increment APIs), so that items modified
    /// while paging (and so leaving the window) make no other item move past the reader.
    pub backward: bool,
}

/// One kind of push message a platform sends: its kind as the platform names it (a Doudian
/// tag, a Youzan `type`, a TMC topic...) and the payload's shape, in the response type language.
#[derive(Debug, Clone)]
pub struct Message {
    pub pos: Pos,
    /// The platform folder the file is in.
    pub platform: String,
    pub kind: Located<String>,
    /// The variant's name, snake case (`trade_paid`).
    pub name: Located<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub doc_url: Option<String>,
    pub payload: Option<Located<Vec<Field>>>,
}

/// `source:` of an imported spec: the catalog it came from, and what the importer had to infer
/// because the source does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    /// The importer's source format, e.g. `top-metadata`.
    pub format: String,
    /// The file within the source, e.g. `tbtrade/taobao_trade_fullinfo_get.json`.
    pub file: Option<String>,
    /// Facts the source lacks, chosen by the platform's rule (e.g. `method`, `version`).
    pub inferred: Vec<String>,
    pub note: Option<String>,
}

/// A param's documented limits (checked before sending).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_length: Option<u32>,
    pub max_items: Option<u32>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Limits {
    pub fn is_none(&self) -> bool {
        *self == Limits::default()
    }
}

/// A param or a response field.
#[derive(Debug, Clone)]
pub struct Field {
    pub pos: Pos,
    pub name: String,
    pub ty: Ty,
    pub required: bool,
    pub description: Option<String>,
    pub example: Option<serde_json::Value>,
    pub default: Option<serde_json::Value>,
    pub enum_values: Vec<String>,
    /// Params only: `query`, `body`, `form`, `path` or `header`.
    pub location: Option<Located<String>>,
    /// A credential (token, secret), kept out of `Debug` output.
    pub secret: bool,
    /// A person's data (a receiver's phone, a buyer's nick, an address) or a credential not typed
    /// `secret`: masked in `Debug`.
    pub pii: bool,
    pub limits: Limits,
}

/// A field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Scalar(Scalar),
    Array(Box<Ty>),
    Object(Vec<Field>),
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.ty == other.ty && self.required == other.required
    }
}

/// The scalar types of the spec language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Int,
    Long,
    Bool,
    Double,
    Decimal,
    Date,
    DateTime,
    Json,
    File,
}

impl Scalar {
    /// Parses a type name; names are case-insensitive and a few doc-table spellings are aliases.
    pub fn parse(s: &str) -> Option<Scalar> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "string" | "str" | "text" => Scalar::String,
            "int" | "integer" | "int32" => Scalar::Int,
            "long" | "int64" | "number" => Scalar::Long,
            "boolean" | "bool" => Scalar::Bool,
            "double" | "float" => Scalar::Double,
            "price" | "decimal" | "money" => Scalar::Decimal,
            "date" => Scalar::Date,
            "datetime" | "timestamp" => Scalar::DateTime,
            "json" | "any" => Scalar::Json,
            "file" | "byte[]" | "bytes" => Scalar::File,
            _ => return None,
        })
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scalar::String => "string",
            Scalar::Int => "int",
            Scalar::Long => "long",
            Scalar::Bool => "boolean",
            Scalar::Double => "double",
            Scalar::Decimal => "decimal",
            Scalar::Date => "date",
            Scalar::DateTime => "datetime",
            Scalar::Json => "json",
            Scalar::File => "file",
        }
    }
}

pub(crate) const TYPE_NAMES: &str =
    "string, int, long, boolean, double, price/decimal, date, datetime, json, file, `T[]`, object";
