//! Just enough of Go to read generated SDK files: `type X struct { ... }` blocks whose fields
//! are `Name Type `json:"wire,omitempty"``, each with the `//` comment lines above it.

/// One struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct GoField {
    pub go_name: String,
    pub ty: String,
    /// The `json` tag's name; `None` for `json:"-"` or no tag.
    pub wire: Option<String>,
    pub comment: Option<String>,
    /// 1-based line, for problems.
    pub line: usize,
}

/// One struct.
#[derive(Debug, Clone, PartialEq)]
pub struct GoStruct {
    pub name: String,
    pub fields: Vec<GoField>,
}

/// The structs of a file, in order.
pub fn structs(src: &str) -> Vec<GoStruct> {
    let mut out = Vec::new();
    let mut current: Option<GoStruct> = None;
    let mut comment: Vec<String> = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("type ") {
            if let Some(name) = rest.strip_suffix("struct {").map(str::trim) {
                current = Some(GoStruct {
                    name: name.to_owned(),
                    fields: Vec::new(),
                });
                comment.clear();
                continue;
            }
        }
        let Some(s) = current.as_mut() else {
            continue;
        };
        if line == "}" {
            out.extend(current.take());
            continue;
        }
        if let Some(c) = line.strip_prefix("//") {
            comment.push(c.trim().to_owned());
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let (decl, tag) = match line.split_once('`') {
            Some((d, t)) => (d.trim(), Some(t.trim_end_matches('`'))),
            None => (line, None),
        };
        let mut parts = decl.split_whitespace();
        let (Some(go_name), Some(ty)) = (parts.next(), parts.next()) else {
            // An embedded type (`doudian_sdk.BaseDoudianOpApiRequest`): not a field.
            comment.clear();
            continue;
        };
        let wire = tag.and_then(|t| {
            let json = t.split("json:\"").nth(1)?;
            let name = json.split(['"', ',']).next()?;
            (name != "-" && !name.is_empty()).then(|| name.to_owned())
        });
        s.fields.push(GoField {
            go_name: go_name.to_owned(),
            ty: ty.to_owned(),
            wire,
            comment: (!comment.is_empty()).then(|| comment.join("\n")),
            line: i + 1,
        });
        comment.clear();
    }
    out
}

/// The string a one-line `return "..."` in function `func_name` gives.
pub fn returned_string(src: &str, func_name: &str) -> Option<String> {
    let at = src.find(&format!(") {func_name}()"))?;
    let body = &src[at..];
    let ret = body.find("return \"")? + "return \"".len();
    let end = body[ret..].find('"')?;
    Some(body[ret..ret + end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_generated_structs() {
        let src = "type A struct {\n\tdoudian_sdk.Base\n\t// 店铺ID\n\t// 第二行\n\tShopId *string `json:\"shop_id,omitempty\"`\n\tItems []B `json:\"items\"`\n\tSkip int `json:\"-\"`\n}\nfunc (c *R) GetUrlPath() string{\n\treturn \"/order/orderDetail\"\n}\n";
        let s = structs(src);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].fields.len(), 3);
        assert_eq!(s[0].fields[0].wire.as_deref(), Some("shop_id"));
        assert_eq!(s[0].fields[0].comment.as_deref(), Some("店铺ID\n第二行"));
        assert_eq!(s[0].fields[1].ty, "[]B");
        assert_eq!(s[0].fields[2].wire, None);
        assert_eq!(
            returned_string(src, "GetUrlPath").as_deref(),
            Some("/order/orderDetail")
        );
    }
}
