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

mod api;
mod messages;
mod types;
mod writer;

use api::*;
use messages::*;
use writer::*;

use crate::ir::{Corpus, Platform};

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
            "a config table named like a platform folder then configures it with its protocol's keys.".into(),
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
    w.docs(
        0,
        &[
            "Per-platform accessors on [`opengate::Client`]: `client.<platform>().<api>(req)`."
                .into(),
        ],
    );
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
