//! The spec model: what the YAML files say, with positions, before validation.
//!
//! `load_dir` reads every `*.yaml`/`*.yml` under a specs folder. The first
//! folder level names the platform; `platform.yaml` in it describes the
//! platform, every other file holds one API (top-level `name:`) or several
//! (`apis: [...]`).

use crate::diag::{Diagnostics, Pos};
use crate::yaml::{self, Node, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Reads every spec file under `root`. Paths in diagnostics are shown as
/// `display_root` joined with the file's path relative to `root`.
pub fn load_dir(root: &Path, display_root: &str) -> (Corpus, Diagnostics) {
    load(root, None, display_root, &|_| true, &|_| true)
}

/// [`load_dir`] of only the platform folders `keep_platform` accepts.
pub fn load_dir_filtered(
    root: &Path,
    display_root: &str,
    keep_platform: &dyn Fn(&str) -> bool,
) -> (Corpus, Diagnostics) {
    load(root, None, display_root, keep_platform, &|_| true)
}

/// [`load_dir`] of only the files directly in each platform folder (the platform, its auth,
/// its messages), no group folder: what needs the platforms but not their APIs reads this.
pub fn load_dir_top(root: &Path, display_root: &str) -> (Corpus, Diagnostics) {
    load(root, None, display_root, &|_| true, &|_| false)
}

/// Reads one platform folder (`dir` holds `platform.yaml`) as platform `name`, with only the
/// group folders `keep_group` accepts (files directly in the folder are always read). This is
/// what a platform crate's build script reads: its own specs, and only the enabled groups (a
/// part crate's folder below it is left to that crate). Diagnostics name `dir` `display_root`.
pub fn load_platform(
    dir: &Path,
    name: &str,
    display_root: &str,
    keep_group: &dyn Fn(&str) -> bool,
) -> (Corpus, Diagnostics) {
    load(dir, Some(name), display_root, &|_| true, keep_group)
}

/// `platform`: `root` is that platform's folder rather than a folder of platform folders.
fn load(
    root: &Path,
    platform: Option<&str>,
    display_root: &str,
    keep_platform: &dyn Fn(&str) -> bool,
    keep_group: &dyn Fn(&str) -> bool,
) -> (Corpus, Diagnostics) {
    let mut corpus = Corpus::default();
    let mut diags = Diagnostics::default();
    let mut files = Vec::new();
    if let Err(e) = collect_files(root, &mut files) {
        let pos = Pos {
            file: display_root.into(),
            line: 1,
            col: 1,
        };
        diags.push(&pos, format!("cannot read the specs folder: {e}"));
        return (corpus, diags);
    }
    // (path on disk, path as the spec loader sees it: `<platform>/[<group>/]file.yaml`, path
    // shown in diagnostics)
    let mut parts = PartFolders::default();
    let mut files: Vec<(PathBuf, PathBuf, String)> = files
        .into_iter()
        .filter_map(|path| {
            let real = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let shown = display_path(display_root, &real);
            let comps: Vec<&std::ffi::OsStr> = real.iter().collect();
            let rel = match platform {
                // A crate's own folder: its part crates generate their groups themselves.
                Some(_) if comps.len() > 1 && parts.is_part(&root.join(comps[0])) => return None,
                Some(name) => Path::new(name).join(&real),
                // A tree of platform folders: a part's groups are the platform's, and its
                // `platform.yaml` is a copy of the platform's.
                None if comps.len() > 2 && parts.is_part(&root.join(comps[0]).join(comps[1])) => {
                    if comps.len() == 3
                        && Path::new(comps[2]).file_stem() == Some("platform".as_ref())
                    {
                        return None;
                    }
                    std::iter::once(comps[0])
                        .chain(comps[2..].iter().copied())
                        .collect()
                }
                None => real,
            };
            Some((path, rel, shown))
        })
        .filter(|(_, rel, _)| {
            let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy());
            let platform = parts.next().unwrap_or_default();
            match (parts.next(), parts.next()) {
                _ if !keep_platform(&platform) => false,
                (Some(group), Some(_)) => keep_group(&group),
                _ => true,
            }
        })
        .collect();
    files.sort();
    // Files are independent: read and parse them on all cores, merge in file order.
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<(Corpus, Diagnostics)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|paths| {
                scope.spawn(move || {
                    let mut part = (Corpus::default(), Diagnostics::default());
                    for (path, rel, shown) in paths {
                        load_file(shown, path, rel, &mut part.0, &mut part.1);
                    }
                    part
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (c, d) in parts {
        corpus.platforms.extend(c.platforms);
        corpus.apis.extend(c.apis);
        corpus.messages.extend(c.messages);
        corpus.files.extend(c.files);
        diags.0.extend(d.0);
    }
    (corpus, diags)
}

/// The largest spec file read: the largest shipped one is 42 KB; a file this large is not a
/// spec someone wrote or imported.
pub const MAX_SPEC_FILE: u64 = 8 << 20;

fn load_file(shown: &str, path: &Path, rel: &Path, corpus: &mut Corpus, diags: &mut Diagnostics) {
    let shown: Arc<str> = shown.into();
    match read_spec(path) {
        Ok(src) => load_source(&src, rel, shown, corpus, diags),
        Err(e) => diags.push(
            &Pos {
                file: shown,
                line: 1,
                col: 1,
            },
            format!("cannot read file: {e}"),
        ),
    }
    corpus.files.push(path.to_owned());
}

/// A spec file's text: only a regular file (a FIFO named `*.yaml` would block the read for
/// ever, a device never end), of at most [`MAX_SPEC_FILE`] bytes, read no further than that.
fn read_spec(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    // Before opening: opening a FIFO waits for a writer.
    if !std::fs::metadata(path)?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device): a spec is a file",
        ));
    }
    let mut text = String::new();
    let file = std::fs::File::open(path)?;
    file.take(MAX_SPEC_FILE + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SPEC_FILE {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("larger than {MAX_SPEC_FILE} bytes, the most a spec file may be"),
        ));
    }
    Ok(text)
}

/// Which folders are part crates: a folder below a platform crate's with a `Cargo.toml` of its
/// own holds some of the platform's groups (`opengate import` splits a large platform so).
#[derive(Default)]
struct PartFolders(std::collections::HashMap<PathBuf, bool>);

impl PartFolders {
    fn is_part(&mut self, dir: &Path) -> bool {
        *self
            .0
            .entry(dir.to_owned())
            .or_insert_with(|| crate::build::is_part(dir))
    }
}

fn display_path(display_root: &str, rel: &Path) -> String {
    let rel = rel.to_string_lossy().replace('\\', "/");
    if display_root.is_empty() {
        rel
    } else {
        format!("{}/{}", display_root.trim_end_matches('/'), rel)
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses one file's text. `rel` is its path relative to the specs root; its
/// first component is the platform folder.
pub fn load_source(
    src: &str,
    rel: &Path,
    shown: Arc<str>,
    corpus: &mut Corpus,
    diags: &mut Diagnostics,
) {
    let mut cx = Cx { file: shown, diags };
    let root = match yaml::parse(src) {
        Ok(n) => n,
        Err(e) => {
            let pos = cx.at_lc(e.line, e.col);
            cx.diags.push(&pos, e.message);
            return;
        }
    };
    let comps: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if comps.len() < 2 {
        let pos = cx.at(&root);
        cx.diags.push(
            &pos,
            "spec files belong in a platform folder (`specs/<platform>/...`)",
        );
        return;
    }
    let folder = comps[0].clone();
    // `specs/<platform>/<group>/.../file.yaml`: the first folder below the platform's.
    let group = (comps.len() > 2).then(|| comps[1].as_str());
    let stem = Path::new(&comps[comps.len() - 1])
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if comps.len() == 2 && stem == "platform" {
        if let Some(p) = cx.platform(&root, folder) {
            corpus.platforms.push(p);
        }
        return;
    }
    let Value::Map(entries) = &root.value else {
        let pos = cx.at(&root);
        cx.diags.push(
            &pos,
            format!(
                "an API file must be a mapping with `name:` (one API), `apis:` (a list) or `messages:`, found {}",
                root.kind()
            ),
        );
        return;
    };
    if let Some((_, list)) = entries.iter().find(|(k, _)| key(k) == Some("messages")) {
        if entries.len() > 1 {
            let pos = cx.at(&root);
            cx.diags.push(
                &pos,
                "a file with `messages:` must have no other top-level keys",
            );
        }
        if group.is_some() {
            let pos = cx.at(list);
            cx.diags.push(
                &pos,
                "`messages:` belong in a file directly in the platform folder (every build has them, whatever its features)",
            );
            return;
        }
        match &list.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(m) = cx.message(item, &folder) {
                        corpus.messages.push(m);
                    }
                }
            }
            _ => {
                let pos = cx.at(list);
                cx.diags.push(
                    &pos,
                    format!(
                        "`messages` must be a list of message kinds, found {}",
                        list.kind()
                    ),
                );
            }
        }
    } else if let Some((_, list)) = entries.iter().find(|(k, _)| key(k) == Some("apis")) {
        if entries.len() > 1 {
            let pos = cx.at(&root);
            cx.diags.push(
                &pos,
                "a file with `apis:` must have no other top-level keys",
            );
        }
        match &list.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(api) = cx.api(item, &folder, group) {
                        corpus.apis.push(api);
                    }
                }
            }
            _ => {
                let pos = cx.at(list);
                cx.diags.push(
                    &pos,
                    format!("`apis` must be a list of APIs, found {}", list.kind()),
                );
            }
        }
    } else if let Some(api) = cx.api(&root, &folder, group) {
        corpus.apis.push(api);
    }
}

fn key(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

struct Cx<'a> {
    file: Arc<str>,
    diags: &'a mut Diagnostics,
}

/// The fields of a mapping, checked against the allowed keys.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, k: &str) -> Option<&'n Node> {
        self.entries.iter().find(|e| e.0 == k).map(|e| e.2)
    }
}

impl Cx<'_> {
    fn at(&self, n: &Node) -> Pos {
        self.at_lc(n.line, n.col)
    }

    fn at_lc(&self, line: u32, col: u32) -> Pos {
        Pos {
            file: self.file.clone(),
            line: line.max(1),
            col: col.max(1),
        }
    }

    fn err(&mut self, n: &Node, msg: impl Into<String>) {
        let pos = self.at(n);
        self.diags.push(&pos, msg);
    }

    /// Checks that `n` is a mapping whose keys are strings from `allowed`.
    fn fields<'n>(&mut self, n: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &n.value else {
            self.err(n, format!("{what} must be a mapping, found {}", n.kind()));
            return None;
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(name) = key(k) else {
                self.err(
                    k,
                    format!("{what}: keys must be strings, found {}", k.kind()),
                );
                continue;
            };
            if !allowed.contains(&name) {
                self.err(
                    k,
                    format!(
                        "{what}: unknown field `{name}`, expected one of: {}",
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            if out
                .iter()
                .any(|(n, _, _): &(&str, &Node, &Node)| *n == name)
            {
                self.err(k, format!("{what}: duplicate field `{name}`"));
                continue;
            }
            out.push((name, k, v));
        }
        Some(Fields { entries: out })
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.err(n, format!("`{what}` must be a string, found {}", n.kind()));
                None
            }
        }
    }

    fn opt_string(&mut self, f: &Fields<'_>, k: &str) -> Option<String> {
        let n = f.get(k)?;
        if matches!(n.value, Value::Null) {
            return None;
        }
        self.string(n, k)
    }

    fn located(&mut self, f: &Fields<'_>, k: &str) -> Option<Located<String>> {
        let n = f.get(k)?;
        let value = self.string(n, k)?;
        Some(Located {
            pos: self.at(n),
            value,
        })
    }

    fn required(
        &mut self,
        f: &Fields<'_>,
        k: &str,
        owner: &Node,
        what: &str,
    ) -> Option<Located<String>> {
        if f.get(k).is_none() {
            self.err(owner, format!("{what}: missing required field `{k}`"));
            return None;
        }
        self.located(f, k)
    }

    fn boolean(&mut self, f: &Fields<'_>, k: &str) -> Option<bool> {
        let n = f.get(k)?;
        match n.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.err(
                    n,
                    format!("`{k}` must be true or false, found {}", n.kind()),
                );
                None
            }
        }
    }

    fn platform(&mut self, n: &Node, folder: String) -> Option<Platform> {
        let f = self.fields(
            n,
            "platform",
            &["platform", "title", "protocol", "hosts", "description"],
        )?;
        let name = self.required(&f, "platform", n, "platform");
        let protocol = self.required(&f, "protocol", n, "platform");
        let title = self.opt_string(&f, "title");
        let description = self.opt_string(&f, "description");
        let mut hosts = Vec::new();
        match f.get("hosts") {
            None => self.err(
                n,
                "platform: missing required field `hosts` (at least `default: https://...`)",
            ),
            Some(h) => match &h.value {
                Value::Map(entries) => {
                    for (k, v) in entries {
                        let (Some(kn), Some(vs)) =
                            (key(k).map(str::to_owned), self.string(v, "hosts.*"))
                        else {
                            continue;
                        };
                        hosts.push((
                            Located {
                                pos: self.at(k),
                                value: kn,
                            },
                            Located {
                                pos: self.at(v),
                                value: vs,
                            },
                        ));
                    }
                }
                _ => self.err(
                    h,
                    format!(
                        "`hosts` must be a mapping of name to URL, found {}",
                        h.kind()
                    ),
                ),
            },
        }
        Some(Platform {
            pos: self.at(n),
            folder,
            name: name?,
            title,
            protocol: protocol?,
            hosts,
            description,
        })
    }

    fn source(&mut self, n: &Node) -> Option<Source> {
        let f = self.fields(n, "source", &["format", "file", "inferred", "note"])?;
        let format = self.required(&f, "format", n, "source")?.value;
        let inferred = match f.get("inferred") {
            None => Vec::new(),
            Some(list) => match &list.value {
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.string(i, "inferred"))
                    .collect(),
                _ => {
                    self.err(
                        list,
                        format!("`inferred` must be a list, found {}", list.kind()),
                    );
                    Vec::new()
                }
            },
        };
        Some(Source {
            format,
            file: self.opt_string(&f, "file"),
            inferred,
            note: self.opt_string(&f, "note"),
        })
    }

    fn paging(&mut self, n: &Node) -> Option<Paging> {
        const KEYS: &[&str] = &[
            "style",
            "page",
            "first",
            "size",
            "max_size",
            "items",
            "total",
            "has_next",
            "cursor",
            "next_cursor",
            "backward",
        ];
        let f = self.fields(n, "paging", KEYS)?;
        let style = self.required(&f, "style", n, "paging");
        let items = self.required(&f, "items", n, "paging");
        let first = match f.get("first") {
            None => None,
            Some(v) => match v.value {
                Value::Int(i) if i == 0 || i == 1 => Some(Located {
                    pos: self.at(v),
                    value: i,
                }),
                _ => {
                    self.err(v, "`first` must be 0 or 1 (the first page's number)");
                    None
                }
            },
        };
        Some(Paging {
            pos: self.at(n),
            page: self.located(&f, "page"),
            first,
            size: self.located(&f, "size"),
            max_size: self.count(&f, "max_size"),
            total: self.located(&f, "total"),
            has_next: self.located(&f, "has_next"),
            cursor: self.located(&f, "cursor"),
            next_cursor: self.located(&f, "next_cursor"),
            backward: self.boolean(&f, "backward").unwrap_or(false),
            style: style?,
            items: items?,
        })
    }

    /// A non-negative limit that fits `u32`.
    fn count(&mut self, f: &Fields<'_>, k: &str) -> Option<u32> {
        let n = f.get(k)?;
        match n.value {
            Value::Int(i) => match u32::try_from(i) {
                Ok(v) => Some(v),
                Err(_) => {
                    self.err(
                        n,
                        format!("`{k}` must be between 0 and {}, found {i}", u32::MAX),
                    );
                    None
                }
            },
            _ => {
                self.err(n, format!("`{k}` must be an integer, found {}", n.kind()));
                None
            }
        }
    }

    fn bound(&mut self, f: &Fields<'_>, k: &str) -> Option<i64> {
        let n = f.get(k)?;
        match n.value {
            Value::Int(i) => Some(i),
            _ => {
                self.err(n, format!("`{k}` must be an integer, found {}", n.kind()));
                None
            }
        }
    }

    fn limits(&mut self, f: &Fields<'_>, owner: &Node) -> Limits {
        let limits = Limits {
            max_length: self.count(f, "max_length"),
            max_items: self.count(f, "max_items"),
            min: self.bound(f, "min"),
            max: self.bound(f, "max"),
        };
        if let (Some(min), Some(max)) = (limits.min, limits.max) {
            if min > max {
                self.err(
                    owner,
                    format!("`min` ({min}) is greater than `max` ({max})"),
                );
            }
        }
        limits
    }

    fn api(&mut self, n: &Node, folder: &str, group: Option<&str>) -> Option<Api> {
        const KEYS: &[&str] = &[
            "name",
            "version",
            "summary",
            "description",
            "auth",
            "method",
            "host",
            "path",
            "namespace",
            "idempotent",
            "params",
            "response",
            "response_example",
            "doc_url",
            "source",
            "paging",
        ];
        let f = self.fields(n, "api", KEYS)?;
        let name = self.required(&f, "name", n, "api");
        let version = match f.get("version") {
            None => {
                self.err(n, "api: missing required field `version`");
                None
            }
            Some(v) => match &v.value {
                Value::Str(s) => Some(s.clone()),
                Value::Int(i) => Some(i.to_string()),
                Value::Float(_) => {
                    self.err(v, "`version` must be a string; quote it (e.g. \"1.0\") so YAML keeps it as written");
                    None
                }
                _ => {
                    self.err(v, format!("`version` must be a string, found {}", v.kind()));
                    None
                }
            }
            .map(|value| Located { pos: self.at(v), value }),
        };
        let auth = self.required(&f, "auth", n, "api");
        let method = self.required(&f, "method", n, "api");
        let params = match f.get("params") {
            None => Vec::new(),
            Some(p) => self.params(p),
        };
        let response = match f.get("response") {
            None => None,
            Some(r) => self.object_type(r, "response"),
        };
        let response_example = f.get("response_example").map(Node::to_json);
        let source = f.get("source").and_then(|s| self.source(s));
        let paging = f.get("paging").and_then(|p| self.paging(p));
        Some(Api {
            source,
            paging,
            group: group.map(str::to_owned),
            pos: self.at(n),
            platform: folder.to_owned(),
            summary: self.opt_string(&f, "summary"),
            description: self.opt_string(&f, "description"),
            host: self.located(&f, "host"),
            path: self.located(&f, "path"),
            namespace: self.opt_string(&f, "namespace"),
            idempotent: self.boolean(&f, "idempotent"),
            doc_url: self.opt_string(&f, "doc_url"),
            params,
            response,
            response_example,
            name: name?,
            version: version?,
            auth: auth?,
            method: method?,
        })
    }

    fn message(&mut self, n: &Node, folder: &str) -> Option<Message> {
        const KEYS: &[&str] = &[
            "kind",
            "name",
            "summary",
            "description",
            "doc_url",
            "payload",
        ];
        let f = self.fields(n, "message", KEYS)?;
        // A Doudian tag is a number in YAML (`kind: 101`): kinds are text either way.
        let kind = match f.get("kind") {
            None => {
                self.err(n, "message: missing required field `kind`");
                None
            }
            Some(k) => match &k.value {
                Value::Str(s) => Some(s.clone()),
                Value::Int(i) => Some(i.to_string()),
                _ => {
                    self.err(k, format!("`kind` must be a string, found {}", k.kind()));
                    None
                }
            }
            .map(|value| Located {
                pos: self.at(k),
                value,
            }),
        };
        let name = self.required(&f, "name", n, "message");
        let payload = match f.get("payload") {
            None => None,
            Some(p) => self.object_type(p, "payload"),
        };
        Some(Message {
            pos: self.at(n),
            platform: folder.to_owned(),
            summary: self.opt_string(&f, "summary"),
            description: self.opt_string(&f, "description"),
            doc_url: self.opt_string(&f, "doc_url"),
            payload,
            kind: kind?,
            name: name?,
        })
    }

    fn params(&mut self, n: &Node) -> Vec<Field> {
        match &n.value {
            Value::Seq(items) => items.iter().filter_map(|i| self.field(i, true)).collect(),
            Value::Null => Vec::new(),
            _ => {
                self.err(n, format!("`params` must be a list, found {}", n.kind()));
                Vec::new()
            }
        }
    }

    /// `response:` in either form: the compact type map of a doc table, or
    /// `{type: object, fields: [...]}`.
    /// An object type in either form (a response, a message's payload).
    fn object_type(&mut self, n: &Node, what: &str) -> Option<Located<Vec<Field>>> {
        let Value::Map(_) = &n.value else {
            self.err(
                n,
                format!(
                    "`{what}` must be an object (a mapping of field to type), found {}",
                    n.kind()
                ),
            );
            return None;
        };
        let fields = match self.ty_node(n, what)? {
            Ty::Object(fields) => fields,
            _ => {
                self.err(n, format!("`{what}` must be an object"));
                return None;
            }
        };
        Some(Located {
            pos: self.at(n),
            value: fields,
        })
    }

    fn is_expanded(n: &Node) -> bool {
        let Value::Map(entries) = &n.value else {
            return false;
        };
        let has = |k: &str| entries.iter().any(|(kn, _)| key(kn) == Some(k));
        has("type") && (has("fields") || has("items"))
    }

    /// A compact field written `{type: T, pii: true}`: its type node and the flag.
    fn flagged(n: &Node) -> Option<(&Node, bool)> {
        let Value::Map(entries) = &n.value else {
            return None;
        };
        let get = |k: &str| {
            entries
                .iter()
                .find(|(kn, _)| key(kn) == Some(k))
                .map(|(_, v)| v)
        };
        let Value::Bool(pii) = get("pii")?.value else {
            return None;
        };
        (entries.len() == 2).then_some(())?;
        Some((get("type")?, pii))
    }

    /// A type given as a node: a type name, `[elem]`, a compact map or an expanded form.
    fn ty_node(&mut self, n: &Node, what: &str) -> Option<Ty> {
        match &n.value {
            Value::Str(s) => self.ty_name(n, s),
            Value::Seq(items) => match items.as_slice() {
                [elem] => Some(Ty::Array(Box::new(self.ty_node(elem, what)?))),
                _ => {
                    self.err(n, format!("{what}: an array type is written `[element]` with exactly one element, found {} elements", items.len()));
                    None
                }
            },
            Value::Map(_) if Self::is_expanded(n) => {
                let f = self.fields(n, what, &["type", "fields", "items", "description"])?;
                let tn = f.get("type")?;
                let t = self.string(tn, "type")?;
                match t.as_str() {
                    "object" => {
                        let Some(fs) = f.get("fields") else {
                            self.err(n, format!("{what}: `type: object` needs `fields`"));
                            return None;
                        };
                        Some(Ty::Object(self.field_list(fs)))
                    }
                    "array" => {
                        let Some(items) = f.get("items") else {
                            self.err(n, format!("{what}: `type: array` needs `items`"));
                            return None;
                        };
                        Some(Ty::Array(Box::new(self.ty_node(items, what)?)))
                    }
                    other => self.ty_name(tn, other),
                }
            }
            Value::Map(entries) => {
                // The compact form: `{"field": "type", "nested": {...}}`.
                let mut fields = Vec::new();
                for (k, v) in entries {
                    let Some(name) = k.scalar_text() else {
                        self.err(
                            k,
                            format!("{what}: field names must be strings, found {}", k.kind()),
                        );
                        continue;
                    };
                    // `name: {type: string, pii: true}`: a compact field with its flag (a
                    // boolean is no type, so this is never an object of fields).
                    let (ty, pii) = match Self::flagged(v) {
                        Some((ty_node, pii)) => (self.ty_node(ty_node, &name), pii),
                        None => (self.ty_node(v, &name), false),
                    };
                    let Some(ty) = ty else {
                        continue;
                    };
                    fields.push(Field {
                        pos: self.at(k),
                        name,
                        ty,
                        required: false,
                        description: None,
                        example: None,
                        default: None,
                        enum_values: Vec::new(),
                        location: None,
                        secret: false,
                        pii,
                        limits: Limits::default(),
                    });
                }
                Some(Ty::Object(fields))
            }
            _ => {
                self.err(
                    n,
                    format!("{what}: expected a type ({TYPE_NAMES}), found {}", n.kind()),
                );
                None
            }
        }
    }

    fn ty_name(&mut self, n: &Node, s: &str) -> Option<Ty> {
        let t = s.trim();
        if let Some(inner) = t
            .strip_suffix("[]")
            .or_else(|| t.strip_prefix("array<").and_then(|r| r.strip_suffix('>')))
        {
            if !inner.eq_ignore_ascii_case("byte") {
                return Some(Ty::Array(Box::new(self.ty_name(n, inner)?)));
            }
        }
        if t.eq_ignore_ascii_case("object") {
            self.err(n, "type `object` needs its fields: write a mapping of field to type, or `type: object` with `fields:`");
            return None;
        }
        match Scalar::parse(t) {
            Some(s) => Some(Ty::Scalar(s)),
            None => {
                self.err(
                    n,
                    format!("unknown type `{t}`, expected one of: {TYPE_NAMES}"),
                );
                None
            }
        }
    }

    fn field_list(&mut self, n: &Node) -> Vec<Field> {
        match &n.value {
            Value::Seq(items) => items.iter().filter_map(|i| self.field(i, false)).collect(),
            Value::Map(_) => match self.ty_node(n, "fields") {
                Some(Ty::Object(f)) => f,
                _ => Vec::new(),
            },
            _ => {
                self.err(
                    n,
                    format!("`fields` must be a list of fields, found {}", n.kind()),
                );
                Vec::new()
            }
        }
    }

    fn field(&mut self, n: &Node, is_param: bool) -> Option<Field> {
        const PARAM_KEYS: &[&str] = &[
            "name",
            "type",
            "required",
            "in",
            "description",
            "example",
            "default",
            "enum",
            "fields",
            "items",
            "secret",
            "pii",
            "max_length",
            "max_items",
            "min",
            "max",
        ];
        const FIELD_KEYS: &[&str] = &[
            "name",
            "type",
            "required",
            "description",
            "example",
            "enum",
            "fields",
            "items",
            "secret",
            "pii",
        ];
        let what = if is_param { "param" } else { "field" };
        let f = self.fields(n, what, if is_param { PARAM_KEYS } else { FIELD_KEYS })?;
        let name = self.required(&f, "name", n, what);
        let ty = match f.get("type") {
            None => {
                self.err(n, format!("{what}: missing required field `type`"));
                None
            }
            Some(t) => match &t.value {
                Value::Str(s) if s == "object" => match f.get("fields") {
                    Some(fs) => Some(Ty::Object(self.field_list(fs))),
                    None => {
                        self.err(t, format!("{what}: `type: object` needs `fields`"));
                        None
                    }
                },
                Value::Str(s) if s == "array" => match f.get("items") {
                    Some(items) => self.ty_node(items, "items").map(|t| Ty::Array(Box::new(t))),
                    None => {
                        self.err(t, format!("{what}: `type: array` needs `items`"));
                        None
                    }
                },
                _ => self.ty_node(t, "type"),
            },
        };
        let enum_values = match f.get("enum") {
            None => Vec::new(),
            Some(e) => match &e.value {
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| {
                        let t = i.scalar_text();
                        if t.is_none() {
                            self.err(
                                i,
                                format!("`enum` values must be scalars, found {}", i.kind()),
                            );
                        }
                        t
                    })
                    .collect(),
                _ => {
                    self.err(e, format!("`enum` must be a list, found {}", e.kind()));
                    Vec::new()
                }
            },
        };
        let limits = self.limits(&f, n);
        Some(Field {
            pos: self.at(n),
            limits,
            required: self.boolean(&f, "required").unwrap_or(false),
            description: self.opt_string(&f, "description"),
            example: f.get("example").map(Node::to_json),
            default: f.get("default").map(Node::to_json),
            location: if is_param {
                self.located(&f, "in")
            } else {
                None
            },
            secret: self.boolean(&f, "secret").unwrap_or(false),
            pii: self.boolean(&f, "pii").unwrap_or(false),
            enum_values,
            name: name?.value,
            ty: ty?,
        })
    }
}
