//! Finding and reading the spec files of a folder: which platform folders and groups, in a
//! stable order, each file read within its size limit.

use super::model::Corpus;
use super::parse::load_source;
use crate::diag::{Diagnostics, Pos};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
