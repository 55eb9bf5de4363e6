//! `opengate import`: a catalog of a registered format (`--from`) into a platform folder's
//! specs, or a doc table (markdown, as on the platforms' doc pages) into one spec's YAML.
//!
//! A doc table's `key | value |` rows: `API名称(name)`, `版本(version)`, `鉴权方式`,
//! `请求方法(method)`, `请求参数` (`name (type), ...`; a `?` after the name or
//! `可选`/`optional` in the parens marks an optional param) and `返回参数` (the
//! compact type map, kept verbatim).

use super::Fail;
use std::path::{Path, PathBuf};

/// The command: `--from` reads a catalog, else `file` is a doc table (`-` for stdin).
pub(crate) fn run(
    file: &str,
    from: Option<&str>,
    out: Option<&Path>,
    platform: Option<&str>,
    index: Option<&Path>,
    and: &[String],
) -> Result<(), Fail> {
    if let Some(format) = from {
        return catalog_import(format, Path::new(file), out, platform, index, and);
    }
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| Fail(3, format!("cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| Fail(3, format!("cannot read {file}: {e}")))?
    };
    let yaml = doc_table(&text, file).map_err(|e| Fail(1, e))?;
    print!("{yaml}");
    Ok(())
}

/// `import --from`: reads a catalog, writes its specs, prints what happened; problems in the
/// catalog are reported (exit 1) but do not stop the rest from being imported.
fn catalog_import(
    format: &str,
    source: &Path,
    out: Option<&Path>,
    platform: Option<&str>,
    index: Option<&Path>,
    and: &[String],
) -> Result<(), Fail> {
    let mut options = opengate_import::Options {
        platform: platform.map(str::to_owned),
        index: index.map(Path::to_path_buf),
        out: out.map(Path::to_path_buf),
    };
    let known = |format: &str, options: &opengate_import::Options| {
        opengate_import::importer(format, options).ok_or_else(|| {
            Fail(
                3,
                format!(
                    "unknown format `{format}` (or `openapi` without --platform), expected one of: {}",
                    opengate_import::FORMATS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    };
    let importer = known(format, &options)?;
    // The other catalogs take no index of their own.
    options.index = None;
    let mut others = Vec::new();
    for a in and {
        let (f, path) = a
            .split_once('=')
            .ok_or_else(|| Fail(3, format!("--and `{a}`: expected FORMAT=PATH")))?;
        let other = known(f, &options)?;
        if other.platform() != importer.platform() {
            return Err(Fail(
                3,
                format!(
                    "--and `{f}` is a catalog of {}, not of {}",
                    other.platform(),
                    importer.platform()
                ),
            ));
        }
        others.push((other, PathBuf::from(path)));
    }
    let out = out.ok_or_else(|| {
        Fail(
            3,
            "--from needs --out (a platform folder such as specs/<platform>)".into(),
        )
    })?;
    let mut sources: Vec<(&dyn opengate_import::Importer, &Path)> = vec![(&*importer, source)];
    sources.extend(others.iter().map(|(i, p)| (&**i, p.as_path())));
    let import = opengate_import::read_merged(&sources);
    for note in &import.notes {
        eprintln!("note: {note}");
    }
    let mut problems = import.problems;
    let count = import.apis.len();
    let origin = source.file_name().map_or_else(
        || source.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let report = opengate_import::write::write_specs(out, importer.format(), &origin, import.apis);
    problems.extend(report.problems);
    // A platform crate's features (and part crates) follow its group folders.
    if out.join("Cargo.toml").is_file() {
        if let Err(message) = opengate_import::features::write(out, importer.default_groups()) {
            problems.push(opengate_import::Problem {
                path: out.join("Cargo.toml").display().to_string(),
                message,
            });
        }
    }
    for h in &report.hand_written {
        eprintln!("hand-written spec wins: {h}");
    }
    for p in &problems {
        eprintln!("{p}");
    }
    println!(
        "{}: {count} APIs read, {} written, {} unchanged, {} removed, {} corrected, {} skipped, {} left to hand-written specs, in {} groups; {} problems",
        importer.platform(),
        report.written,
        report.unchanged,
        report.removed,
        report.corrected,
        report.skipped,
        report.hand_written.len(),
        report.groups.len(),
        problems.len()
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Fail(1, String::new()))
    }
}

fn row_key(cell: &str) -> Option<&'static str> {
    let c = cell.to_ascii_lowercase();
    Some(
        if c.contains("名称") || c.contains("(name)") || c == "name" {
            "name"
        } else if c.contains("版本") || c.contains("version") {
            "version"
        } else if c.contains("鉴权") || c.contains("auth") {
            "auth"
        } else if c.contains("请求方法") || c.contains("(method)") || c == "method" {
            "method"
        } else if c.contains("请求参数") || c.contains("params") {
            "params"
        } else if c.contains("返回参数") || c.contains("response") {
            "response"
        } else {
            return None;
        },
    )
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Converts the doc table to a spec. `origin` names the source in the header comment.
fn doc_table(text: &str, origin: &str) -> Result<String, String> {
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 2 || cells[0].starts_with("---") {
            continue;
        }
        if let Some(k) = row_key(cells[0]) {
            if !fields.iter().any(|(f, _)| *f == k) {
                fields.push((k, cells[1].to_owned()));
            }
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| *f == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let name = get("name")
        .ok_or("the doc table has no API name row (e.g. `API名称(name) | shop.trade.get |`)")?;
    let version = get("version")
        .ok_or("the doc table has no version row (e.g. `版本(version) | 4.0.0 |`)")?;
    let method = get("method")
        .unwrap_or_else(|| "POST".into())
        .to_ascii_uppercase();
    let auth = match get("auth")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "access_token" | "token" | "user" | "需要" => "user",
        "none" | "无" | "免鉴权" | "不需要" => "none",
        "app" | "sign" | "签名" => "app",
        other => {
            return Err(format!(
                "unknown auth `{other}` in the doc table (expected access_token or none)"
            ))
        }
    };
    let mut out = String::new();
    out.push_str(&format!("# Imported by `opengate import` from {origin}\n"));
    out.push_str(&format!(
        "name: {}\nversion: {}\nauth: {auth}\nmethod: {method}\n",
        yaml_str(&name),
        yaml_str(&version)
    ));
    if let Some(params) = get("params") {
        out.push_str("params:\n");
        for p in params
            .split([',', '，', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (pname, ty) = match p.split_once('(') {
                Some((n, rest)) => (n.trim(), rest.trim_end_matches(')').trim()),
                None => (p, "string"),
            };
            let optional = pname.ends_with('?') || ty.contains("可选") || ty.contains("optional");
            let pname = pname.trim_end_matches('?');
            let ty = ty.split([',', ' ']).next().unwrap_or("string");
            out.push_str(&format!(
                "  - {{name: {}, type: {}, required: {}}}\n",
                yaml_str(pname),
                yaml_str(ty),
                !optional
            ));
        }
    }
    if let Some(resp) = get("response") {
        let v: serde_json::Value = serde_json::from_str(&resp)
            .map_err(|e| format!("the response row is not a JSON type map: {e}"))?;
        if !v.is_object() {
            return Err("the response row must be a JSON object of field to type".into());
        }
        // JSON is YAML: keep the doc's compact map verbatim, key order included.
        out.push_str(&format!("response: {resp}\n"));
    }
    Ok(out)
}
