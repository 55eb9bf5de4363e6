//! Doc table (markdown, as on the platforms' doc pages) -> spec YAML.
//!
//! Reads the `key | value |` rows: `API名称(name)`, `版本(version)`, `鉴权方式`,
//! `请求方法(method)`, `请求参数` (`name (type), ...`; a `?` after the name or
//! `可选`/`optional` in the parens marks an optional param) and `返回参数` (the
//! compact type map, kept verbatim).

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
pub fn doc_table(text: &str, origin: &str) -> Result<String, String> {
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
