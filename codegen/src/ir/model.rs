//! The IR's types: platforms, APIs, fields and types with their Rust names resolved.

use crate::spec;

/// A validated corpus, platforms sorted by name, APIs by (name, version).
#[derive(Debug, Clone)]
pub struct Corpus {
    pub platforms: Vec<Platform>,
}

#[derive(Debug, Clone)]
pub struct Platform {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub protocol: String,
    pub hosts: Vec<(String, String)>,
    /// Rust module name, e.g. `youzan`.
    pub module: String,
    /// Accessor type, e.g. `YouzanApi`.
    pub accessor: String,
    pub apis: Vec<Api>,
    /// Push message kinds, sorted by kind; their payload types share one namespace (the
    /// generated `messages` module).
    pub messages: Vec<Message>,
}

/// One kind of push message, validated.
#[derive(Debug, Clone)]
pub struct Message {
    /// The kind as the platform sends it (`101`, `trade_TradePaid`, `taobao_trade_TradeCreate`).
    pub kind: String,
    /// The enum variant and its payload struct, e.g. `TradePaid`.
    pub variant: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub doc_url: Option<String>,
    pub payload: StructIr,
    /// Nested object types of the payload.
    pub types: Vec<StructIr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Auth {
    None,
    App,
    User,
    /// A user token is sent when the client has one; the API works without (a catalog that
    /// does not say which APIs need one, e.g. TOP's).
    Optional,
    Client,
}

impl Auth {
    /// Whether a gateway checks the user token of a call that sends one (`sent`) or none: always
    /// where the API needs one, and where it is optional only when one came.
    pub fn checks_user_token(self, sent: bool) -> bool {
        match self {
            Auth::User => true,
            Auth::Optional => sent,
            Auth::None | Auth::App | Auth::Client => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::App => "app",
            Auth::User => "user",
            Auth::Optional => "optional",
            Auth::Client => "client",
        }
    }
}

/// An API's HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Patch,
    ];

    /// The upper-case name, e.g. `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    /// `get`, `POST`, ... as written in a spec.
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    Default,
    Query,
    Body,
    Form,
    Path,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Default => "default",
            Location::Query => "query",
            Location::Body => "body",
            Location::Form => "form",
            Location::Path => "path",
            Location::Header => "header",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Api {
    pub name: String,
    pub version: String,
    pub platform: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub doc_url: Option<String>,
    pub auth: Auth,
    pub method: Method,
    pub host_key: String,
    pub base_url: String,
    pub path: String,
    pub namespace: String,
    pub idempotent: bool,
    /// Module and client method name (unescaped snake case).
    pub module: String,
    pub params: Vec<FieldIr>,
    /// Nested request types, in emission order.
    pub request_types: Vec<StructIr>,
    /// The response root is always `Response`; nested types follow.
    pub response: StructIr,
    pub response_types: Vec<StructIr>,
    pub response_example: Option<serde_json::Value>,
    /// The group folder the spec is in (a cargo feature of the generated crate).
    pub group: Option<String>,
    pub source: Option<spec::Source>,
    /// How the API pages, when it does (validated against its params and response).
    pub paging: Option<PagingIr>,
}

impl Api {
    /// Every field of the API: its params, its request's nested types', its response's and its
    /// response's nested types'.
    pub fn fields(&self) -> impl Iterator<Item = &FieldIr> {
        self.params
            .iter()
            .chain(self.request_types.iter().flat_map(|s| &s.fields))
            .chain(&self.response.fields)
            .chain(self.response_types.iter().flat_map(|s| &s.fields))
    }
}

/// How a paged API moves from page to page.
#[derive(Debug, Clone, PartialEq)]
pub enum PagingStyle {
    /// A page number from `first`; `backward`: read the last page first.
    Page { first: i64, backward: bool },
    /// A cursor the answer gives for the next page.
    Cursor,
}

/// A validated `paging:` block: wire names of the request params, and response paths (wire
/// names from the response root) of the members the runtime reads.
#[derive(Debug, Clone, PartialEq)]
pub struct PagingIr {
    pub style: PagingStyle,
    /// The request param of the page number or the cursor.
    pub position: String,
    /// The request param of the page size, if the API has one.
    pub size: Option<String>,
    pub max_size: Option<u32>,
    /// The path to the items: each segment's wire name and Rust field; every one but the last
    /// is an object, the last an array.
    pub items: Vec<(String, String)>,
    /// The Rust type of one item, in the API's module (`ResponseTradesTradeItem`, `i64`...).
    pub item_ty: TyIr,
    pub total: Vec<String>,
    pub has_next: Vec<String>,
    pub next_cursor: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct StructIr {
    pub ident: String,
    pub fields: Vec<FieldIr>,
}

#[derive(Debug, Clone)]
pub struct FieldIr {
    pub wire: String,
    /// Rust identifier as written (may be `r#type`).
    pub ident: String,
    pub ty: TyIr,
    pub required: bool,
    pub description: Option<String>,
    pub example: Option<serde_json::Value>,
    pub default: Option<serde_json::Value>,
    pub enum_values: Vec<String>,
    pub location: Location,
    /// The spec type as written, for docs.
    pub spec_ty: String,
    pub limits: spec::Limits,
    /// A person's data (`pii: true`): masked in `Debug`.
    pub pii: bool,
    /// The Rust enum of a field with `enum:` values.
    pub enum_type: Option<EnumIr>,
}

/// A Rust enum for a field's `enum:` values, with an `Unknown(String)` variant for the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumIr {
    pub ident: String,
    /// (variant, wire value), in the spec's order.
    pub variants: Vec<(String, String)>,
    /// Sent as a JSON number (`int` and `long` fields).
    pub numeric: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TyIr {
    String,
    I64,
    Bool,
    F64,
    Decimal,
    DateTime,
    Json,
    File,
    /// A string credential (`secret: true`): `opengate::Secret`, hidden from `Debug`.
    Secret,
    Vec(Box<TyIr>),
    Struct(String),
}
