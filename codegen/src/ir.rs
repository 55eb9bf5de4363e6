//! The validated IR: every name resolved to a distinct Rust identifier, every
//! reference checked. Emitting from it cannot fail.

use crate::diag::{Diagnostics, Pos};
use crate::names::{escape, pascal, snake, Namer};
use crate::spec::{self, Scalar, Ty};
use std::collections::BTreeMap;

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

/// Validates a loaded corpus and resolves all names. Returns every problem at once.
pub fn lower(corpus: &spec::Corpus) -> Result<Corpus, Diagnostics> {
    let mut d = Diagnostics::default();
    let mut platforms: BTreeMap<String, Platform> = BTreeMap::new();
    let mut seen_platform: BTreeMap<String, Pos> = BTreeMap::new();

    for p in &corpus.platforms {
        if p.name.value != p.folder {
            d.push(
                &p.name.pos,
                format!(
                    "platform `{}` is in folder `{}`: the name must match its folder",
                    p.name.value, p.folder
                ),
            );
        }
        if let Some(first) = seen_platform.get(&p.folder) {
            d.push(
                &p.pos,
                format!(
                    "platform `{}` is defined twice (first at {first})",
                    p.folder
                ),
            );
            continue;
        }
        seen_platform.insert(p.folder.clone(), p.pos.clone());
        let valid_name = !p.folder.is_empty()
            && p.folder
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !p.folder.starts_with(|c: char| c.is_ascii_digit());
        if !valid_name {
            d.push(&p.name.pos, format!("platform name `{}` must be lower-case letters, digits and `_`, starting with a letter", p.folder));
        }
        if p.protocol.value.trim().is_empty() {
            d.push(&p.protocol.pos, "`protocol` must name a protocol (taobao-top, alibaba-aop, youzan, douyin, doudian, or one registered at run time)");
        }
        let mut hosts = Vec::new();
        for (k, v) in &p.hosts {
            if !(v.value.starts_with("http://") || v.value.starts_with("https://")) {
                d.push(
                    &v.pos,
                    format!(
                        "host `{}` must be an http:// or https:// URL, found `{}`",
                        k.value, v.value
                    ),
                );
            }
            hosts.push((k.value.clone(), v.value.trim_end_matches('/').to_owned()));
        }
        if !p.hosts.is_empty() && !hosts.iter().any(|(k, _)| k == "default") {
            d.push(&p.pos, "platform: `hosts` must include `default`");
        }
        platforms.insert(
            p.folder.clone(),
            Platform {
                name: p.folder.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                protocol: p.protocol.value.clone(),
                hosts,
                module: escape(&p.folder),
                accessor: format!("{}Api", pascal(&p.folder)),
                apis: Vec::new(),
                messages: Vec::new(),
            },
        );
    }

    let mut seen_api: BTreeMap<(String, String, String), Pos> = BTreeMap::new();
    for a in &corpus.apis {
        let Some(platform) = platforms.get_mut(&a.platform) else {
            d.push(
                &a.pos,
                format!(
                    "unknown platform `{}`: there is no `{}/platform.yaml`",
                    a.platform, a.platform
                ),
            );
            continue;
        };
        let key = (
            a.platform.clone(),
            a.name.value.clone(),
            a.version.value.clone(),
        );
        if let Some(first) = seen_api.get(&key) {
            d.push(
                &a.name.pos,
                format!(
                    "duplicate API `{}` version {} (first defined at {first})",
                    a.name.value, a.version.value
                ),
            );
            continue;
        }
        seen_api.insert(key, a.name.pos.clone());
        if let Some(api) = lower_api(a, platform, &mut d) {
            platform.apis.push(api);
        }
    }

    lower_messages(&corpus.messages, &mut platforms, &mut d);

    for p in platforms.values_mut() {
        p.apis
            .sort_by(|x, y| (&x.name, &x.version).cmp(&(&y.name, &y.version)));
        // `messages` is the module of the platform's push messages.
        let mut namer = Namer::with_reserved(&["messages"]);
        for api in &mut p.apis {
            api.module = namer.claim(api.module.clone());
        }
    }

    if d.is_empty() {
        Ok(Corpus {
            platforms: platforms.into_values().collect(),
        })
    } else {
        Err(d.sorted())
    }
}

/// Names reserved in a generated `messages` module: the enum, and the prelude names its code
/// uses unqualified.
const MESSAGE_RESERVED: &[&str] = &[
    "Message", "Option", "Some", "None", "String", "Vec", "Result",
];

/// Each platform's message kinds: unique kinds and names, payloads lowered like responses
/// (the payload struct and its nested types named after the variant).
fn lower_messages(
    messages: &[spec::Message],
    platforms: &mut BTreeMap<String, Platform>,
    d: &mut Diagnostics,
) {
    let mut by_platform: BTreeMap<&str, Vec<&spec::Message>> = BTreeMap::new();
    for m in messages {
        if !platforms.contains_key(&m.platform) {
            d.push(
                &m.pos,
                format!(
                    "unknown platform `{}`: there is no `{}/platform.yaml`",
                    m.platform, m.platform
                ),
            );
            continue;
        }
        by_platform.entry(&m.platform).or_default().push(m);
    }
    for (platform, mut list) in by_platform {
        list.sort_by(|a, b| a.kind.value.cmp(&b.kind.value));
        let mut kinds: BTreeMap<&str, &Pos> = BTreeMap::new();
        let mut names: BTreeMap<&str, &Pos> = BTreeMap::new();
        let mut type_namer = Namer::with_reserved(MESSAGE_RESERVED);
        let mut out = Vec::new();
        for m in list {
            if let Some(first) = kinds.insert(&m.kind.value, &m.kind.pos) {
                d.push(
                    &m.kind.pos,
                    format!(
                        "duplicate message kind `{}` (first at {first})",
                        m.kind.value
                    ),
                );
                continue;
            }
            let name = &m.name.value;
            let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                d.push(
                    &m.name.pos,
                    format!("message name `{name}` must be snake case (lower-case letters, digits and `_`, starting with a letter)"),
                );
                continue;
            }
            if let Some(first) = names.insert(name, &m.name.pos) {
                d.push(
                    &m.name.pos,
                    format!("duplicate message name `{name}` (first at {first})"),
                );
                continue;
            }
            let variant = pascal(name);
            if MESSAGE_RESERVED.contains(&variant.as_str()) || variant == "Unknown" {
                d.push(
                    &m.name.pos,
                    format!("message name `{name}` is reserved in the generated module"),
                );
                continue;
            }
            let variant = type_namer.claim(variant);
            let mut types = Vec::new();
            let fields = m.payload.as_ref().map_or(&[][..], |p| &p.value[..]);
            let fields = lower_fields(fields, &variant, false, &mut type_namer, &mut types, d, &[]);
            out.push(Message {
                kind: m.kind.value.clone(),
                summary: m.summary.clone(),
                description: m.description.clone(),
                doc_url: m.doc_url.clone(),
                payload: StructIr {
                    ident: variant.clone(),
                    fields,
                },
                variant,
                types,
            });
        }
        if let Some(p) = platforms.get_mut(platform) {
            p.messages = out;
        }
    }
}

/// `3.0.0` -> `3_0_0`: versions always follow a `_v`, so a leading digit is fine.
fn version_ident(v: &str) -> String {
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

fn valid_wire_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
}

fn lower_api(a: &spec::Api, p: &Platform, d: &mut Diagnostics) -> Option<Api> {
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

/// A response member by its dotted path: each segment's field, every one but the last an object.
fn response_path<'a>(
    path: &str,
    root: &'a StructIr,
    types: &'a [StructIr],
) -> Result<Vec<&'a FieldIr>, String> {
    let mut out = Vec::new();
    let mut at = root;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let Some(f) = at.fields.iter().find(|f| f.wire == *seg) else {
            return Err(format!(
                "the response has no member `{}`",
                segments[..=i].join(".")
            ));
        };
        out.push(f);
        if i + 1 < segments.len() {
            match &f.ty {
                TyIr::Struct(name) => match types.iter().find(|t| &t.ident == name) {
                    Some(t) => at = t,
                    None => return Err(format!("`{seg}` is not an object")),
                },
                _ => return Err(format!("`{}` is not an object", segments[..=i].join("."))),
            }
        }
    }
    Ok(out)
}

/// Validates `paging:` against the request params and the response shape.
fn lower_paging(
    pg: &spec::Paging,
    params: &[FieldIr],
    response: &StructIr,
    types: &[StructIr],
    d: &mut Diagnostics,
) -> Option<PagingIr> {
    let before = d.len();
    let cursor_style = match pg.style.value.as_str() {
        "page" => false,
        "cursor" => true,
        other => {
            d.push(
                &pg.style.pos,
                format!("paging: unknown style `{other}`, expected one of: page, cursor"),
            );
            return None;
        }
    };
    let param =
        |name: &Option<spec::Located<String>>, what: &str, d: &mut Diagnostics, int: bool| {
            let l = name.as_ref()?;
            match params.iter().find(|f| f.wire == l.value) {
                None => {
                    d.push(
                        &l.pos,
                        format!(
                            "paging: `{what}` names `{}`, which is not a param of this API",
                            l.value
                        ),
                    );
                    None
                }
                Some(f) if int && f.ty != TyIr::I64 => {
                    d.push(
                        &l.pos,
                        format!(
                        "paging: `{what}` param `{}` must be an integer (long or int), found `{}`",
                        l.value, f.spec_ty
                    ),
                    );
                    None
                }
                Some(f) => Some(f.wire.clone()),
            }
        };
    let member = |name: &Option<spec::Located<String>>,
                  what: &str,
                  ok: &dyn Fn(&TyIr) -> bool,
                  expected: &str,
                  d: &mut Diagnostics| {
        let Some(l) = name.as_ref() else {
            return Vec::new();
        };
        match response_path(&l.value, response, types) {
            Err(e) => {
                d.push(&l.pos, format!("paging: `{what}`: {e}"));
                Vec::new()
            }
            Ok(fields) if !fields.last().is_some_and(|f| ok(&f.ty)) => {
                d.push(
                    &l.pos,
                    format!("paging: `{what}` member `{}` must be {expected}", l.value),
                );
                Vec::new()
            }
            Ok(fields) => fields.iter().map(|f| f.wire.clone()).collect(),
        }
    };
    let misplaced = |present: bool, key: &str, style: &str, d: &mut Diagnostics| {
        if present {
            d.push(
                &pg.pos,
                format!("paging: `{key}` does not apply to style `{style}`"),
            );
        }
    };
    let (style, position) = if cursor_style {
        misplaced(pg.page.is_some(), "page", "cursor", d);
        misplaced(pg.first.is_some(), "first", "cursor", d);
        misplaced(pg.backward, "backward", "cursor", d);
        if pg.cursor.is_none() || pg.next_cursor.is_none() {
            d.push(&pg.pos, "paging: style `cursor` needs `cursor` (the request param) and `next_cursor` (the response member)");
        }
        (PagingStyle::Cursor, param(&pg.cursor, "cursor", d, false))
    } else {
        misplaced(pg.cursor.is_some(), "cursor", "page", d);
        misplaced(pg.next_cursor.is_some(), "next_cursor", "page", d);
        if pg.page.is_none() {
            d.push(
                &pg.pos,
                "paging: style `page` needs `page` (the request param of the page number)",
            );
        }
        if pg.backward && pg.total.is_none() {
            d.push(
                &pg.pos,
                "paging: `backward` needs `total` (the last page is found from it)",
            );
        }
        let first = pg.first.as_ref().map_or(1, |f| f.value);
        (
            PagingStyle::Page {
                first,
                backward: pg.backward,
            },
            param(&pg.page, "page", d, true),
        )
    };
    let size = param(&pg.size, "size", d, true);
    if pg.max_size == Some(0) {
        d.push(&pg.pos, "paging: `max_size` must be at least 1");
    }
    let is_int = |t: &TyIr| *t == TyIr::I64;
    let total = member(&pg.total, "total", &is_int, "an integer", d);
    let has_next = member(
        &pg.has_next,
        "has_next",
        &|t| *t == TyIr::Bool,
        "a boolean",
        d,
    );
    let next_cursor = member(
        &pg.next_cursor,
        "next_cursor",
        &|t| matches!(t, TyIr::I64 | TyIr::String),
        "an integer or a string",
        d,
    );
    let items = match response_path(&pg.items.value, response, types) {
        Err(e) => {
            d.push(&pg.items.pos, format!("paging: `items`: {e}"));
            None
        }
        Ok(fields) => match fields.last().map(|f| &f.ty) {
            Some(TyIr::Vec(inner)) => Some((
                fields
                    .iter()
                    .map(|f| (f.wire.clone(), f.ident.clone()))
                    .collect::<Vec<_>>(),
                (**inner).clone(),
            )),
            _ => {
                d.push(
                    &pg.items.pos,
                    format!(
                        "paging: `items` member `{}` must be an array",
                        pg.items.value
                    ),
                );
                None
            }
        },
    };
    if d.len() > before {
        return None;
    }
    let (items, item_ty) = items?;
    Some(PagingIr {
        style,
        position: position?,
        size,
        max_size: pg.max_size,
        items,
        item_ty,
        total,
        has_next,
        next_cursor,
    })
}

/// Reads are safe to retry. The last segment of the name tells (`.get`, `.search`, `searchList`...).
fn looks_like_read(name: &str) -> bool {
    let last = name
        .rsplit(['.', '/'])
        .find(|s| !s.is_empty())
        .unwrap_or(name)
        .to_ascii_lowercase();
    ["get", "list", "search", "query", "detail", "info", "count"]
        .iter()
        .any(|p| last.starts_with(p) || last.ends_with(p))
}

fn parse_template(t: &str) -> Result<Vec<String>, String> {
    if !t.starts_with('/') {
        return Err("it must start with `/`".into());
    }
    let mut names = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("`}` without `{`".into());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("`{` without `}`")?;
        let name = &after[..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "placeholder `{{{name}}}` must be letters, digits and `_`"
            ));
        }
        names.push(name.to_owned());
        rest = &after[close + 1..];
    }
    Ok(names)
}

#[allow(clippy::too_many_arguments)]
fn lower_fields(
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
fn enum_of(f: &spec::Field, hint: &str, type_namer: &mut Namer) -> Option<EnumIr> {
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
fn check_limits(f: &spec::Field, d: &mut Diagnostics) {
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

fn lower_ty(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(parse_template("/a/{id}/b").unwrap(), vec!["id"]);
        assert!(parse_template("a/b").is_err());
        assert!(parse_template("/a/{id").is_err());
        assert!(parse_template("/a/}").is_err());
        assert!(parse_template("/a/{}").is_err());
    }

    #[test]
    fn reads() {
        assert!(looks_like_read("youzan.trade.get"));
        assert!(looks_like_read("order.searchList"));
        assert!(!looks_like_read("alliance.store.add"));
    }
}
