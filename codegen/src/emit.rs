//! IR -> Rust source text in a fixed layout of our own. Infallible: everything that could go
//! wrong was rejected by `ir::lower`.
//!
//! Why text rather than `quote!` tokens: the generated code has a handful of fixed shapes, and
//! going through tokens -> `syn::File` -> prettyplease spent 7 s on 5,000 APIs, almost all of it
//! parsing tokens we had just built. Writing the text directly takes a small fraction of that
//! (docs/decisions.md, docs/PERFORMANCE.md).
//!
//! The layout is prettyplease 0.2's wherever it is modelled here (margin 89 columns, indent 4):
//! a list (call arguments, fn parameters, array elements) stays on one line when the line fits,
//! else each item goes on its own line with a trailing comma; a struct literal wider than 34
//! columns always breaks. A line that still overflows after that (a long type, a long name)
//! stays whole: no formatter runs at build time, so the output does not depend on a
//! prettyplease release, and handing such units to prettyplease had made it most of the full
//! Taobao catalog's generation time (10 of 11 s). `tests/format.rs` checks that prettyplease
//! leaves every unit without such a line unchanged.
//!
//! Generated items use the prelude names `Option`, `Some`, `None`, `String`, `Vec` and `Into`
//! unqualified: every type generated inside an API module is named `Request*`/`Response*`, so
//! nothing generated can shadow them.
//!
//! Generated code is deliberately thin: request/response types, a static API
//! descriptor and one-line client methods that hand both to the runtime's
//! single call path (`opengate::Client::send`).

use std::collections::{BTreeMap, HashMap};

use crate::ir::{
    Api, Auth, Corpus, EnumIr, FieldIr, Location, Message, PagingIr, PagingStyle, Platform,
    StructIr, TyIr,
};

/// prettyplease's line width.
const MARGIN: usize = 89;
const INDENT: usize = 4;
/// prettyplease breaks a struct literal wider than this whatever the room left on the line.
const STRUCT_LITERAL_MAX: usize = 34;

/// Source text under construction.
struct Writer {
    out: String,
}

impl Writer {
    fn new() -> Self {
        Writer { out: String::new() }
    }

    /// One line; one too long for prettyplease's margin stays whole (see the module docs).
    fn line(&mut self, indent: usize, text: &str) {
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Doc comments, one `///` line per line of text.
    fn docs(&mut self, indent: usize, lines: &[String]) {
        for line in lines {
            for part in line.split('\n') {
                // As prettyplease prints `#[doc = " text"]`: trailing spaces trimmed.
                let text = format!("/// {}", part.replace('\r', ""));
                self.line(indent, text.trim_end_matches(' '));
            }
        }
    }

    /// `head` + items + `tail`: one line if it fits, else one item per line with a trailing
    /// comma.
    fn list(&mut self, indent: usize, head: &str, items: &[String], tail: &str) {
        if items.is_empty() {
            return self.line(indent, &format!("{head}{tail}"));
        }
        let flat_len = indent
            + head.len()
            + items.iter().map(String::len).sum::<usize>()
            + 2 * (items.len() - 1)
            + tail.len();
        if flat_len <= MARGIN {
            return self.line(indent, &format!("{head}{}{tail}", items.join(", ")));
        }
        self.line(indent, head);
        for item in items {
            self.line(indent + INDENT, &format!("{item},"));
        }
        self.line(indent, tail);
    }

    /// `prefix Self { fields }suffix`, broken one field per line when wider than prettyplease allows.
    fn struct_literal(&mut self, indent: usize, prefix: &str, fields: &[String], suffix: &str) {
        if fields.is_empty() {
            return self.line(indent, &format!("{prefix}Self {{}}{suffix}"));
        }
        let width = "Self { ".len()
            + fields.iter().map(String::len).sum::<usize>()
            + 2 * (fields.len() - 1)
            + 1;
        if width <= STRUCT_LITERAL_MAX {
            return self.line(
                indent,
                &format!("{prefix}Self {{ {} }}{suffix}", fields.join(", ")),
            );
        }
        self.line(indent, &format!("{prefix}Self {{"));
        for f in fields {
            self.line(indent + INDENT, &format!("{f},"));
        }
        self.line(indent, &format!("}}{suffix}"));
    }
}

/// A Rust string literal.
fn lit(s: &str) -> String {
    proc_macro2::Literal::string(s).to_string()
}

/// A code span; blanks collapse to one space (a catalog's example may hold tabs and line breaks).
fn code(s: &str) -> String {
    let text = s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("`{}`", text.replace('`', "'"))
}

/// The text of one platform's module (no inner attributes, so the file can be `include!`d),
/// emitted on up to `threads` threads. The text does not depend on `threads`: chunks of whole
/// API modules are written separately and concatenated in order.
pub fn platform_text(p: &Platform, threads: usize) -> String {
    let mut text = modules(p, threads);
    if !p.messages.is_empty() {
        text.push_str(&messages_module(p));
    }
    text.push_str(&accessor(p, &[]));
    text
}

/// The API modules of a platform.
fn modules(p: &Platform, threads: usize) -> String {
    let threads = threads.clamp(1, 16);
    let chunk = p.apis.len().div_ceil(threads).max(1);
    let owners = shared_types(&p.apis);
    let mut parts = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = p
            .apis
            .chunks(chunk)
            .zip(owners.chunks(chunk))
            .map(|(apis, owners)| {
                scope.spawn(move || {
                    apis.iter()
                        .zip(owners)
                        .map(|(api, owners)| api_module(api, owners))
                        .collect::<String>()
                })
            })
            .collect();
        // A panicking emitter thread would be a bug; keep going with an empty part rather than panic.
        parts.extend(handles.into_iter().map(|h| h.join().unwrap_or_default()));
    });
    parts.concat()
}

/// The accessor struct with a method per API of `p`, then the methods of the part crates.
fn accessor(p: &Platform, parts: &[PartCrate]) -> String {
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let mut w = Writer::new();
    w.docs(
        0,
        &[
            format!("The {title} APIs, borrowed from an [`opengate::Client`]."),
            String::new(),
            format!(
                "Obtained with `client.{}()` (see [`crate::ClientExt`]).",
                p.name
            ),
        ],
    );
    w.line(0, "#[derive(Debug, Clone, Copy)]");
    w.line(
        0,
        &format!("pub struct {}<'a>(pub &'a ::opengate::Client);", p.accessor),
    );
    w.line(0, &format!("impl<'a> {}<'a> {{", p.accessor));
    w.out.push_str(&accessor_methods(p));
    for methods in parts.iter().filter_map(|part| part.methods.as_deref()) {
        w.out.push_str(methods);
    }
    w.line(0, "}");
    w.out
}

/// The accessor methods of `p`'s APIs; a part crate writes its own to a file the platform
/// crate's build script reads. They name each API's module
/// by its bare name, which the platform crate re-exports from the part.
pub fn accessor_methods(p: &Platform) -> String {
    p.apis.iter().map(client_method).collect()
}

/// The root of a part crate: the API modules of its groups, no accessor (the platform crate's
/// has their methods).
pub fn part_crate_root(p: &Platform, threads: usize) -> String {
    modules(p, threads)
}

/// The docs of a part crate: what it is, and its groups.
pub fn part_crate_doc(
    p: &Platform,
    platform_crate: &str,
    groups: &[(String, usize, bool)],
) -> String {
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let mut out = format!(
        "Some of the groups of `{platform_crate}` ({title}): {} APIs in this build. Use them \
         through `{platform_crate}`, whose features turn the groups on and whose \
         `client.{}()` accessor has their methods; this crate is what it builds them from.\n",
        p.apis.len(),
        p.name
    );
    let rows: Vec<GroupRow> = groups
        .iter()
        .map(|(g, n, on)| (g.as_str(), Some(*n), *on, None))
        .collect();
    group_table(&mut out, rows);
    out
}

/// A part crate of a platform crate (see [`platform_crate_root`]).
#[derive(Debug, Clone)]
pub struct PartCrate {
    /// The package name, e.g. `opengate-taobao-part3`.
    pub package: String,
    /// Its groups: name, APIs (known when the part is built), whether the feature is on.
    pub groups: Vec<(String, Option<usize>, bool)>,
    /// Its [`accessor_methods`] when it is built (a feature of one of its groups is on).
    pub methods: Option<String>,
}

impl PartCrate {
    fn krate(&self) -> String {
        self.package.replace('-', "_")
    }
}

/// A platform whose APIs live in a crate of their own, re-exported by the facade crate.
#[derive(Debug, Clone)]
pub struct CratePlatform {
    /// The platform (and module) name, e.g. `taobao`.
    pub name: String,
    pub title: String,
    /// The crate's name in Rust paths, e.g. `opengate_taobao`.
    pub krate: String,
    /// The facade's cargo feature that turns it on.
    pub feature: String,
}

impl CratePlatform {
    fn accessor(&self) -> String {
        format!("{}Api", crate::names::pascal(&self.name))
    }
}

/// The platform's summary for docs: title, size, protocol, description, hosts.
fn platform_doc_lines(p: &Platform) -> Vec<String> {
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let mut lines = vec![format!(
        "{title}: {} APIs, protocol `{}`.",
        p.apis.len(),
        p.protocol
    )];
    if let Some(d) = &p.description {
        lines.push(String::new());
        lines.extend(d.lines().map(str::to_owned));
    }
    lines.push(String::new());
    lines.push("Hosts:".into());
    for (k, v) in &p.hosts {
        lines.push(format!("- {}: <{v}>", code(k)));
    }
    lines
}

/// The crate root: one module per platform generated here, one re-export per platform crate,
/// and the `ClientExt` accessor trait over all of them.
pub fn root(c: &Corpus, include_prefix: &str, crates: &[CratePlatform]) -> String {
    let mut w = Writer::new();
    for k in crates {
        w.docs(
            0,
            &[format!(
                "{}: the crate `{}` (feature `{}`).",
                k.title,
                k.krate.replace('_', "-"),
                k.feature
            )],
        );
        w.line(0, &format!("#[cfg(feature = {})]", lit(&k.feature)));
        w.line(0, &format!("pub use ::{} as {};", k.krate, k.name));
    }
    for p in &c.platforms {
        w.docs(0, &platform_doc_lines(p));
        w.line(0, &format!("pub mod {} {{", p.module));
        let file = lit(&format!("{include_prefix}{}.rs", p.name));
        w.line(
            INDENT,
            &format!("include!(concat!(env!(\"OUT_DIR\"), {file}));"),
        );
        w.line(0, "}");
    }
    // (cfg, name, module, accessor, title)
    let mut entries: Vec<(Option<&str>, &str, &str, String, String)> = crates
        .iter()
        .map(|k| {
            (
                Some(k.feature.as_str()),
                k.name.as_str(),
                k.name.as_str(),
                k.accessor(),
                k.title.clone(),
            )
        })
        .collect();
    entries.extend(c.platforms.iter().map(|p| {
        let title = p.title.clone().unwrap_or_else(|| p.name.clone());
        (
            None,
            p.name.as_str(),
            p.module.as_str(),
            p.accessor.clone(),
            title,
        )
    }));
    entries.sort_by(|a, b| a.1.cmp(b.1));
    w.docs(
        0,
        &[
            "The platforms in this build with their protocols, for [`opengate::Config::client_builder_for`]:".into(),
            "a config table `[tmall]` then configures a `specs/tmall` of protocol `taobao-top`.".into(),
        ],
    );
    let own: Vec<String> = c
        .platforms
        .iter()
        .map(|p| format!("({}, {})", lit(&p.name), lit(&p.protocol)))
        .collect();
    let head = "pub const PLATFORMS: &[(&str, &str)] = &[";
    if crates.is_empty() {
        w.list(0, head, &own, "];");
    } else {
        // prettyplease puts each element on its own line when one has an attribute.
        w.line(0, head);
        for k in crates {
            w.line(INDENT, &format!("#[cfg(feature = {})]", lit(&k.feature)));
            w.line(INDENT, &format!("({0}::PLATFORM, {0}::PROTOCOL),", k.name));
        }
        for p in &own {
            w.line(INDENT, &format!("{p},"));
        }
        w.line(0, "];");
    }
    w.docs(0, &["Per-platform accessors on [`opengate::Client`]: `client.youzan().trade_get_v4_0_0(req)`.".into()]);
    w.line(0, "pub trait ClientExt {");
    for (cfg, name, module, accessor, title) in &entries {
        w.docs(INDENT, &[format!("The {title} APIs.")]);
        if let Some(f) = cfg {
            w.line(INDENT, &format!("#[cfg(feature = {})]", lit(f)));
        }
        w.line(
            INDENT,
            &format!("fn {name}(&self) -> {module}::{accessor}<'_>;"),
        );
    }
    w.line(0, "}");
    w.line(0, "impl ClientExt for ::opengate::Client {");
    for (cfg, name, module, accessor, _) in &entries {
        if let Some(f) = cfg {
            w.line(INDENT, &format!("#[cfg(feature = {})]", lit(f)));
        }
        w.line(
            INDENT,
            &format!("fn {name}(&self) -> {module}::{accessor}<'_> {{"),
        );
        w.line(2 * INDENT, &format!("{module}::{accessor}(self)"));
        w.line(INDENT, "}");
    }
    w.line(0, "}");
    w.out
}

/// The crate docs of a platform crate (Markdown, for `#![doc = include_str!(...)]`): the
/// platform, then its groups (cargo features) and how many APIs each has.
pub fn platform_crate_doc(
    p: &Platform,
    groups: &[(String, usize, bool)],
    parts: &[PartCrate],
) -> String {
    let mut out = platform_doc_lines(p).join("\n");
    out.push_str("\n\nUse the APIs through [`ClientExt`]: `client.");
    out.push_str(&p.name);
    out.push_str("().<api>(request)`. Each group of APIs is a cargo feature; the APIs directly in the platform folder are always there.");
    if !parts.is_empty() {
        out.push_str(" The groups in part crates compile in parallel; their modules are re-exported here, and their docs are those crates'.");
    }
    out.push('\n');
    let mut rows: Vec<GroupRow> = groups
        .iter()
        .map(|(g, n, on)| (g.as_str(), Some(*n), *on, None))
        .collect();
    for part in parts {
        rows.extend(
            part.groups
                .iter()
                .map(|(g, n, on)| (g.as_str(), *n, *on, Some(part.package.as_str()))),
        );
    }
    rows.sort_by_key(|r| r.0);
    group_table(&mut out, rows);
    out
}

/// A group in a crate's docs: feature, APIs (when known), whether it is on, its part crate.
type GroupRow<'a> = (&'a str, Option<usize>, bool, Option<&'a str>);

/// The table of a crate's groups.
fn group_table(out: &mut String, rows: Vec<GroupRow>) {
    if rows.is_empty() {
        return;
    }
    let parts = rows.iter().any(|r| r.3.is_some());
    out.push_str("\n| feature | APIs | on in this build |");
    out.push_str(if parts {
        " crate |\n|---|---|---|---|\n"
    } else {
        "\n|---|---|---|\n"
    });
    for (g, n, on, part) in rows {
        let n = n.map_or_else(|| "-".to_owned(), |n| n.to_string());
        out.push_str(&format!(
            "| `{g}` | {n} | {} |",
            if on { "yes" } else { "no" }
        ));
        if parts {
            out.push_str(
                &part
                    .map(|c| format!(" `{c}` |"))
                    .unwrap_or_else(|| " this one |".into()),
            );
        }
        out.push('\n');
    }
}

/// The root of a platform crate: the platform's APIs (as [`platform_text`]), the modules of
/// its part crates re-exported with their methods on the accessor, and its own `ClientExt`
/// with the one accessor.
pub fn platform_crate_root(p: &Platform, threads: usize, parts: &[PartCrate]) -> String {
    let mut text = modules(p, threads);
    if !p.messages.is_empty() {
        text.push_str(&messages_module(p));
    }
    let mut w = Writer::new();
    for part in parts.iter().filter(|part| part.methods.is_some()) {
        // The part's docs are its own crate's: listing its modules here again would cost
        // rustdoc as much as documenting the part.
        w.line(0, "#[doc(no_inline)]");
        w.line(0, &format!("pub use ::{}::*;", part.krate()));
    }
    text.push_str(&w.out);
    text.push_str(&accessor(p, parts));
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let mut w = Writer::new();
    w.docs(
        0,
        &["The platform's name: its config table's and its accessor's.".into()],
    );
    w.line(0, &format!("pub const PLATFORM: &str = {};", lit(&p.name)));
    w.docs(
        0,
        &["Its protocol, as `platform.yaml` names it: the built-in code that serves it.".into()],
    );
    w.line(
        0,
        &format!("pub const PROTOCOL: &str = {};", lit(&p.protocol)),
    );
    w.docs(
        0,
        &[format!(
            "The {title} accessor on [`opengate::Client`]: `client.{}()`.",
            p.name
        )],
    );
    w.line(0, "pub trait ClientExt {");
    w.docs(INDENT, &[format!("The {title} APIs.")]);
    w.line(
        INDENT,
        &format!("fn {}(&self) -> {}<'_>;", p.name, p.accessor),
    );
    w.line(0, "}");
    w.line(0, "impl ClientExt for ::opengate::Client {");
    w.line(
        INDENT,
        &format!("fn {}(&self) -> {}<'_> {{", p.name, p.accessor),
    );
    w.line(2 * INDENT, &format!("{}(self)", p.accessor));
    w.line(INDENT, "}");
    w.line(0, "}");
    text.push_str(&w.out);
    text
}

/// Spec text as doc text: plain prose, whatever a catalog wrote. Leading spaces (also after a
/// list marker) would start a code block, which rustdoc compiles as a doctest, and a fence the
/// same; brackets make an intra-doc link, `<...>` an HTML tag, and a bare URL draws rustdoc's
/// `bare_urls` lint. So runs of blanks become one space, fences lose their backticks, those
/// characters are escaped outside code spans and URLs are wrapped in `<...>`.
fn prose(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            // Runs of blanks become one: after a list marker (`*     x`), four make a code block.
            let line = line
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace("```", "'''")
                .replace("~~~", "---");
            let mut out = String::with_capacity(line.len());
            let mut in_code = false;
            let mut rest = line.as_str();
            while let Some(c) = rest.chars().next() {
                if !in_code && (rest.starts_with("https://") || rest.starts_with("http://")) {
                    let end = rest
                        .find(|c: char| {
                            c.is_whitespace() || !c.is_ascii() || "<>\"'()[]{}`".contains(c)
                        })
                        .unwrap_or(rest.len());
                    out.push('<');
                    out.push_str(&rest[..end]);
                    out.push('>');
                    rest = &rest[end..];
                    continue;
                }
                match c {
                    '`' => {
                        in_code = !in_code;
                        out.push(c);
                    }
                    _ if in_code => out.push(c),
                    '[' | ']' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    _ => out.push(c),
                }
                rest = &rest[c.len_utf8()..];
            }
            out
        })
        .collect()
}

fn api_doc_lines(api: &Api) -> Vec<String> {
    let mut lines = Vec::new();
    match &api.summary {
        Some(summary) => lines.extend(prose(summary)),
        None => lines.push(api.name.clone()),
    }
    lines.push(String::new());
    if let Some(d) = &api.description {
        lines.extend(prose(d));
        lines.push(String::new());
    }
    lines.push(format!(
        "- API: {} version {}",
        code(&api.name),
        code(&api.version)
    ));
    lines.push(format!("- Auth: {}", code(api.auth.as_str())));
    let path = if api.path.is_empty() {
        "(protocol default)".to_owned()
    } else {
        code(&api.path)
    };
    lines.push(format!(
        "- HTTP: {} {} {path}",
        code(api.method.as_str()),
        code(&api.base_url)
    ));
    lines.push(format!(
        "- Retried on transient failure: {}",
        if api.idempotent {
            "yes (idempotent)"
        } else {
            "no"
        }
    ));
    if let Some(u) = &api.doc_url {
        lines.push(format!("- Platform docs: <{u}>"));
    }
    if let Some(s) = &api.source {
        let mut line = format!("- Imported from {}", code(&s.format));
        if let Some(f) = &s.file {
            line.push_str(&format!(" ({})", code(f)));
        }
        if !s.inferred.is_empty() {
            let facts: Vec<String> = s.inferred.iter().map(|f| code(f)).collect();
            line.push_str(&format!(
                "; not in the source, by the platform's rule: {}",
                facts.join(", ")
            ));
        }
        lines.push(line);
        if let Some(n) = &s.note {
            lines.extend(prose(n).into_iter().map(|l| format!("  {l}")));
        }
    }
    lines
}

/// `Post` from `POST`, `Query` from `query`.
fn variant(s: &str) -> String {
    let mut v = s.to_ascii_lowercase();
    if let Some(first) = v.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    v
}

/// Per API (in order), its part types that an earlier API of the crate already defines, and
/// that API's module: a part type (not the root `Request`/`Response`) whose text, and its nested
/// types', is the same as one an earlier API wrote is that one, re-exported, so the crate
/// compiles it (its derives, impls) once. On real catalogs about a third of the part types
/// repeat (an order, a SKU, an address, in every API that carries one); docs/PERFORMANCE.md.
/// A type with an `enum:` field is its API's own: its enum types are emitted per module.
fn shared_types(apis: &[Api]) -> Vec<BTreeMap<String, String>> {
    let mut first: HashMap<String, &str> = HashMap::new();
    apis.iter()
        .map(|api| {
            let mut owners = BTreeMap::new();
            for (types, request) in [(&api.request_types, true), (&api.response_types, false)] {
                let mut keys: HashMap<&str, Option<String>> = HashMap::new();
                for s in types {
                    let Some(key) = type_key(s, types, request, &mut keys) else {
                        continue;
                    };
                    match first.get(&key) {
                        Some(owner) => {
                            owners.insert(s.ident.clone(), (*owner).to_owned());
                        }
                        None => {
                            first.insert(key, &api.module);
                        }
                    }
                }
            }
            owners
        })
        .collect()
}

/// The text a part type is emitted as, with its nested types' keys; `None` for a type that
/// cannot be shared (an `enum:` field, there or nested).
fn type_key<'a>(
    s: &'a StructIr,
    types: &'a [StructIr],
    request: bool,
    keys: &mut HashMap<&'a str, Option<String>>,
) -> Option<String> {
    if let Some(key) = keys.get(s.ident.as_str()) {
        return key.clone();
    }
    // A type's key holds its nested types' keys; the placeholder ends a cycle, should one ever
    // reach here, as "not shared".
    keys.insert(&s.ident, None);
    let mut key = if s.fields.iter().any(|f| f.enum_type.is_some()) {
        None
    } else {
        let mut w = Writer::new();
        if request {
            request_struct(&mut w, s, false);
        } else {
            response_struct(&mut w, s);
        }
        Some(w.out)
    };
    for f in &s.fields {
        let Some(nested) = struct_name(&f.ty) else {
            continue;
        };
        let inner = types
            .iter()
            .find(|t| t.ident == nested)
            .and_then(|t| type_key(t, types, request, keys));
        key = match (key, inner) {
            (Some(k), Some(inner)) => Some(format!("{k}\u{0}{inner}")),
            _ => None,
        };
    }
    keys.insert(&s.ident, key.clone());
    key
}

/// The part type a field holds, itself or in a list.
fn struct_name(t: &TyIr) -> Option<&str> {
    match t {
        TyIr::Struct(name) => Some(name),
        TyIr::Vec(inner) => struct_name(inner),
        _ => None,
    }
}

fn api_module(api: &Api, owners: &BTreeMap<String, String>) -> String {
    let mut w = Writer::new();
    w.docs(0, &api_doc_lines(api));
    w.line(0, &format!("pub mod {} {{", api.module));
    w.line(INDENT, "use ::opengate::__private as __rt;");
    let locations: Vec<String> = api
        .params
        .iter()
        .filter(|f| f.location != Location::Default || !f.limits.is_none())
        .map(|f| {
            let location = format!("__rt::ParamLocation::{}", variant(f.location.as_str()));
            if f.limits.is_none() {
                return format!("__rt::param({}, {location})", lit(&f.wire));
            }
            let l = &f.limits;
            let set = [
                l.max_length.map(|n| format!(".max_length({n})")),
                l.max_items.map(|n| format!(".max_items({n})")),
                l.min.map(|n| format!(".min({n})")),
                l.max.map(|n| format!(".max({n})")),
            ];
            let limits: String = set.into_iter().flatten().collect();
            format!(
                "__rt::limited({}, {location}, __rt::Limits::NONE{limits})",
                lit(&f.wire)
            )
        })
        .collect();
    w.list(
        INDENT,
        &format!("static PARAMS: [__rt::ParamSpec; {}] = [", locations.len()),
        &locations,
        "];",
    );
    w.docs(
        INDENT,
        &[format!(
            "Descriptor of `{}` {}, handed to the runtime's call path.",
            api.name, api.version
        )],
    );
    let auth = match api.auth {
        Auth::None => "None",
        Auth::App => "App",
        Auth::User => "User",
        Auth::Optional => "Optional",
        Auth::Client => "Client",
    };
    let fields = [
        ("platform", lit(&api.platform)),
        ("name", lit(&api.name)),
        ("version", lit(&api.version)),
        ("method", format!("__rt::HttpMethod::{:?}", api.method)),
        ("base_url", lit(&api.base_url)),
        ("path", lit(&api.path)),
        ("namespace", lit(&api.namespace)),
        ("auth", format!("__rt::AuthKind::{auth}")),
        ("idempotent", api.idempotent.to_string()),
        ("params", "&PARAMS".into()),
    ];
    w.line(INDENT, "pub static API: __rt::ApiDesc = __rt::StaticApi {");
    for (name, value) in fields {
        w.line(2 * INDENT, &format!("{name}: {value},"));
    }
    w.line(INDENT, "}");
    w.line(2 * INDENT, ".desc();");
    request_struct(
        &mut w,
        &StructIr {
            ident: "Request".into(),
            fields: api.params.clone(),
        },
        true,
    );
    w.line(INDENT, "impl ::opengate::ApiRequest for Request {");
    w.line(2 * INDENT, "type Response = Response;");
    w.line(2 * INDENT, "fn api() -> &'static ::opengate::ApiDesc {");
    w.line(3 * INDENT, "&API");
    w.line(2 * INDENT, "}");
    files_fn(&mut w, api);
    w.line(INDENT, "}");
    if let Some(pg) = &api.paging {
        paging_impls(&mut w, api, pg);
    }
    let reexport = |w: &mut Writer, s: &StructIr| match owners.get(&s.ident) {
        Some(owner) => {
            w.line(INDENT, &format!("pub use super::{owner}::{};", s.ident));
            true
        }
        None => false,
    };
    for s in &api.request_types {
        if !reexport(&mut w, s) {
            request_struct(&mut w, s, false);
        }
    }
    response_struct(&mut w, &api.response);
    for s in &api.response_types {
        if !reexport(&mut w, s) {
            response_struct(&mut w, s);
        }
    }
    for f in api.fields() {
        if let Some(e) = &f.enum_type {
            enum_type(&mut w, f, e);
        }
    }
    w.line(0, "}");
    w.out
}

/// A paged API's `PAGING` descriptor and its `PagedRequest` / `PagedResponse` impls.
fn paging_impls(w: &mut Writer, api: &Api, pg: &PagingIr) {
    let (i1, i2, i3) = (INDENT, 2 * INDENT, 3 * INDENT);
    let path = |p: &[String]| -> String {
        let items: Vec<String> = p.iter().map(|s| lit(s)).collect();
        format!("&[{}]", items.join(", "))
    };
    let items: Vec<String> = pg.items.iter().map(|(wire, _)| wire.clone()).collect();
    w.docs(
        i1,
        &[format!("How `{}` pages (the spec's `paging:`).", api.name)],
    );
    w.line(i1, "pub static PAGING: __rt::Paging = __rt::Paging {");
    match pg.style {
        PagingStyle::Page { first, backward } => {
            w.line(i2, "style: __rt::PageStyle::Page {");
            w.line(i3, &format!("first: {first},"));
            w.line(i3, &format!("backward: {backward},"));
            w.line(i2, "},");
        }
        PagingStyle::Cursor => w.line(i2, "style: __rt::PageStyle::Cursor,"),
    }
    let fields = [
        ("position", lit(&pg.position)),
        (
            "size",
            pg.size
                .as_ref()
                .map_or("None".to_owned(), |s| format!("Some({})", lit(s))),
        ),
        ("max_size", pg.max_size.unwrap_or(0).to_string()),
        ("items", path(&items)),
        ("total", path(&pg.total)),
        ("has_next", path(&pg.has_next)),
        ("next_cursor", path(&pg.next_cursor)),
    ];
    for (name, value) in fields {
        w.line(i2, &format!("{name}: {value},"));
    }
    w.line(i1, "};");
    w.line(i1, "impl __rt::PagedRequest for Request {");
    w.line(i2, "fn paging() -> &'static __rt::Paging {");
    w.line(i3, "&PAGING");
    w.line(i2, "}");
    w.line(i1, "}");
    w.line(i1, "impl __rt::PagedResponse for Response {");
    w.line(i2, &format!("type Item = {};", req_ty(&pg.item_ty)));
    w.line(i2, "fn into_items(self) -> Vec<Self::Item> {");
    // Objects are `Option`s, the list a `Vec`: `self.trades.map(|x| x.trade).unwrap_or_default()`.
    let idents: Vec<&str> = pg.items.iter().map(|(_, ident)| ident.as_str()).collect();
    let expr = match idents.as_slice() {
        [only] => format!("self.{only}"),
        [head, middle @ .., last] => {
            let mut e = format!("self.{head}");
            for m in middle {
                e.push_str(&format!(".and_then(|x| x.{m})"));
            }
            format!("{e}.map(|x| x.{last}).unwrap_or_default()")
        }
        [] => "Vec::new()".to_owned(),
    };
    w.line(i3, &expr);
    w.line(i2, "}");
    w.line(i1, "}");
}

/// The platform's push messages: a payload struct per kind and `Message`, the enum of them
/// with `Unknown` for a kind the specs do not list, read from a verified
/// `opengate::push::Push`.
fn messages_module(p: &Platform) -> String {
    let (i1, i2, i3, i4) = (INDENT, 2 * INDENT, 3 * INDENT, 4 * INDENT);
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let mut w = Writer::new();
    w.docs(
        0,
        &[
            format!("{title} push messages, typed by kind (`messages:` in the specs)."),
            String::new(),
            "Receive them with `opengate::push::Receiver`, then read each with".into(),
            "[`Message::from_push`](messages::Message::from_push).".into(),
        ],
    );
    w.line(0, "pub mod messages {");
    w.line(i1, "use ::opengate::__private as __rt;");
    w.docs(
        i1,
        &[format!(
            "A {title} push message; a kind the specs do not list is `Unknown`, the message as it arrived."
        )],
    );
    w.line(i1, "#[derive(Debug, Clone)]");
    w.line(i1, "#[non_exhaustive]");
    w.line(i1, "pub enum Message {");
    for m in &p.messages {
        w.docs(i2, &message_doc_lines(m));
        w.line(i2, &format!("{}({}),", m.variant, m.payload.ident));
    }
    w.docs(
        i2,
        &["A kind the specs do not list: the message as it arrived, payload untouched.".into()],
    );
    w.line(i2, "Unknown(::opengate::push::Push),");
    w.line(i1, "}");
    w.line(i1, "impl Message {");
    w.docs(
        i2,
        &[
            "Reads a verified message's payload by its kind. A payload that does not fit its kind's"
                .into(),
            "shape is an `Error::Decode` naming the platform and the kind.".into(),
        ],
    );
    w.line(
        i2,
        "pub fn from_push(push: &::opengate::push::Push) -> ::opengate::Result<Self> {",
    );
    w.line(i3, "let message = match push.kind.as_str() {");
    for m in &p.messages {
        w.line(
            i4,
            &format!("{} => Self::{}(push.decode()?),", lit(&m.kind), m.variant),
        );
    }
    w.line(i4, "_ => Self::Unknown(push.clone()),");
    w.line(i3, "};");
    w.line(i3, "Ok(message)");
    w.line(i2, "}");
    w.docs(i2, &["The kind as the platform names it.".into()]);
    w.line(i2, "pub fn kind(&self) -> &str {");
    w.line(i3, "match self {");
    for m in &p.messages {
        w.line(i4, &format!("Self::{}(_) => {},", m.variant, lit(&m.kind)));
    }
    w.line(i4, "Self::Unknown(push) => &push.kind,");
    w.line(i3, "}");
    w.line(i2, "}");
    w.line(i1, "}");
    w.docs(i1, &["Every kind the specs list, in order.".into()]);
    let kinds: Vec<String> = p.messages.iter().map(|m| lit(&m.kind)).collect();
    w.list(
        i1,
        &format!("pub const KINDS: [&str; {}] = [", kinds.len()),
        &kinds,
        "];",
    );
    for m in &p.messages {
        let mut doc = message_doc_lines(m);
        doc.push(String::new());
        doc.push(
            "Absent, `null` and `\"\"` values read as `None`; numbers sent as strings (and the reverse) are accepted."
                .into(),
        );
        read_struct(&mut w, &m.payload, &doc);
        for s in &m.types {
            read_struct(&mut w, s, &[format!("Part of a message: `{}`.", s.ident)]);
        }
        let fields = m
            .payload
            .fields
            .iter()
            .chain(m.types.iter().flat_map(|s| &s.fields));
        for f in fields {
            if let Some(e) = &f.enum_type {
                enum_type(&mut w, f, e);
            }
        }
    }
    w.line(0, "}");
    w.out
}

fn message_doc_lines(m: &Message) -> Vec<String> {
    let mut lines = Vec::new();
    match &m.summary {
        Some(summary) => lines.extend(prose(summary)),
        None => lines.push(format!("Message {}.", code(&m.kind))),
    }
    lines.push(String::new());
    if let Some(d) = &m.description {
        lines.extend(prose(d));
        lines.push(String::new());
    }
    lines.push(format!("- Kind: {}", code(&m.kind)));
    if let Some(u) = &m.doc_url {
        lines.push(format!("- Platform docs: <{u}>"));
    }
    lines
}

/// A field's `enum:` values as a Rust enum: one variant each, and `Unknown` for a value the
/// spec does not list (the platform adds values; an answer must still read). Conversions
/// from and to the wire text; the JSON is a number for `int` and `long` fields.
fn enum_type(w: &mut Writer, f: &FieldIr, e: &EnumIr) {
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
fn files_fn(w: &mut Writer, api: &Api) {
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

fn field_doc(f: &FieldIr, is_param: bool) -> Vec<String> {
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

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The Rust type of a request field's value.
fn req_ty(t: &TyIr) -> String {
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

fn request_struct(w: &mut Writer, s: &StructIr, is_root: bool) {
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
fn field_ty(f: &FieldIr) -> String {
    match &f.enum_type {
        Some(e) => e.ident.clone(),
        None => req_ty(&f.ty),
    }
}

/// Whether a constructor or setter takes `impl Into<..>` for the field.
fn takes_into(f: &FieldIr) -> bool {
    f.enum_type.is_some() || matches!(f.ty, TyIr::String | TyIr::Secret)
}

/// The type a constructor or setter takes for a field.
fn arg_ty(f: &FieldIr) -> String {
    match (&f.enum_type, &f.ty) {
        (Some(e), _) => format!("impl Into<{}>", e.ident),
        (None, TyIr::String) => "impl Into<String>".into(),
        (None, TyIr::Secret) => "impl Into<::opengate::Secret>".into(),
        (None, other) => req_ty(other),
    }
}

/// The Rust type of a response field: scalars and objects are `Option`, arrays are `Vec`.
fn resp_ty(f: &FieldIr) -> String {
    match &f.ty {
        TyIr::Vec(_) => req_ty(&f.ty),
        _ => format!("Option<{}>", field_ty(f)),
    }
}

/// `impl ToJson`: each field under its wire name (`put` for a value that is always there,
/// `put_opt` for an `Option`), behind `cfg` when `cfg` is given.
fn to_json_impl(w: &mut Writer, ident: &str, puts: Vec<(&str, String, String)>, cfg: Option<&str>) {
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
fn serde_impls(w: &mut Writer, ident: &str, deserialize: bool) {
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

const SERDE_CFG: &str = "#[cfg(feature = \"serde\")]";

fn response_struct(w: &mut Writer, s: &StructIr) {
    let doc = if s.ident == "Response" {
        "The response data. Absent, `null` and `\"\"` values read as `None`; numbers sent as strings (and the reverse) are accepted.".to_owned()
    } else {
        format!("Part of the response: `{}`.", s.ident)
    };
    read_struct(w, s, &[doc]);
}

/// A type read from the platform's JSON (an answer, a push payload), with its docs.
fn read_struct(w: &mut Writer, s: &StructIr, doc: &[String]) {
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
fn masks(s: &StructIr) -> bool {
    s.fields.iter().any(|f| f.pii)
}

/// The `Debug` of a struct with `pii` fields: the derived one's output with their values `***`.
fn masked_debug(w: &mut Writer, s: &StructIr) {
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

/// One method of the platform accessor.
fn client_method(api: &Api) -> String {
    let m = &api.module;
    let mut w = Writer::new();
    let mut lines = api_doc_lines(api);
    lines.push(String::new());
    lines.push(format!(
        "Request: [`{0}::Request`]; response: [`{0}::Response`].",
        m.trim_start_matches("r#")
    ));
    w.docs(INDENT, &lines);
    // Neither `async fn` nor `impl Future`: a state machine or an opaque type per API costs
    // more to check than the call is worth (`opengate::ApiCall`).
    w.list(
        INDENT,
        &format!("pub fn {m}("),
        &["self".into(), format!("request: {m}::Request")],
        &format!(") -> ::opengate::ApiCall<'a, {m}::Request> {{"),
    );
    w.line(2 * INDENT, "self.0.send_owned(request)");
    w.line(INDENT, "}");
    if api.paging.is_some() {
        let m_bare = m.trim_start_matches("r#");
        w.docs(
            INDENT,
            &[
                format!("Every page of `{}`, as a stream ([`::opengate::Pages`]); `.items()` for the items.", api.name),
                String::new(),
                format!("Request: [`{m_bare}::Request`]; each page: [`{m_bare}::Response`]."),
            ],
        );
        w.list(
            INDENT,
            &format!("pub fn {m_bare}_pages("),
            &["self".into(), format!("request: {m}::Request")],
            &format!(") -> ::opengate::Pages<{m}::Request> {{"),
        );
        w.line(2 * INDENT, "::opengate::Pages::new(self.0, request)");
        w.line(INDENT, "}");
    }
    w.out
}
