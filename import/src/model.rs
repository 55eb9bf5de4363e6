//! What an importer produces: an API as the spec language describes it, before it is written.

/// One imported API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiSpec {
    pub name: String,
    pub version: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `none`, `app`, `user` or `client`.
    pub auth: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// A key of the platform's `hosts`; `None` is `default`.
    pub host: Option<String>,
    pub path: Option<String>,
    pub namespace: Option<String>,
    pub doc_url: Option<String>,
    pub params: Vec<Param>,
    pub response: Vec<Param>,
    pub source: Source,
    /// `paging:`, where the source's names make it certain.
    pub paging: Option<Paging>,
    /// The catalog itself suggests the API may be withdrawn (a TOP SDK class last generated in
    /// 2017 or before): [`crate::merge`] keeps it only where another catalog has it too.
    pub stale: bool,
}

/// `paging:` as an importer infers it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paging {
    /// `page` (page numbers from 1) or `cursor`.
    pub style: &'static str,
    /// The request param of the page number or the cursor.
    pub position: String,
    pub size: String,
    pub max_size: Option<u32>,
    pub items: String,
    pub total: Option<String>,
    pub has_next: Option<String>,
    /// The response member of the next cursor (`cursor` style).
    pub next_cursor: Option<String>,
    pub backward: bool,
}

/// `source:` of the spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Source {
    pub format: String,
    /// The file the API came from, relative to the catalog folder given to the importer.
    pub file: String,
    /// Facts the source does not give, chosen by the platform's rule.
    pub inferred: Vec<String>,
    pub note: Option<String>,
}

/// A param or a response field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Param {
    pub name: String,
    pub ty: Type,
    pub required: bool,
    pub description: Option<String>,
    pub example: Option<String>,
    pub default: Option<String>,
    /// `query`, `body`, `path`, `header`; `None` is the protocol's default.
    pub location: Option<String>,
    pub max_length: Option<u32>,
    pub max_items: Option<u32>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// A type of the spec language.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `string`, `long`, `boolean`, `double`, `decimal`, `datetime`, `json`, `file`.
    Scalar(&'static str),
    Array(Box<Type>),
    Object(Vec<Param>),
}

impl Default for Type {
    fn default() -> Self {
        Type::Scalar("string")
    }
}

impl Type {
    pub fn is_scalar(&self) -> bool {
        matches!(self, Type::Scalar(_))
    }
}

impl Param {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Param {
            name: name.into(),
            ty,
            ..Param::default()
        }
    }
}

/// The response's one list, when it has exactly one (which list pages is otherwise not certain).
pub(crate) fn only_list(response: &[Param]) -> Option<&Param> {
    let mut lists = response.iter().filter(|p| matches!(p.ty, Type::Array(_)));
    match (lists.next(), lists.next()) {
        (Some(list), None) => Some(list),
        _ => None,
    }
}

/// A name the spec language and Rust identifiers can take.
pub(crate) fn usable_name(n: &str) -> bool {
    n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Plain text from a catalog's HTML-ish prose: tags dropped (`<br/>` and block ends become line
/// breaks), the common entities decoded, blank runs squeezed. `None` when nothing is left.
pub fn plain_text(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        // A `<` that does not start a tag (`a < b`, `<=`) is text.
        let starts_tag = after[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>') {
            Some(close) if starts_tag => {
                let tag = after[1..close].trim_start_matches('/').to_ascii_lowercase();
                let name: String = tag
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if matches!(
                    name.as_str(),
                    "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3"
                ) {
                    out.push('\n');
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let lines: Vec<&str> = decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            plain_text(
                "获取<br/>1. 只有单笔 \n<br/><strong><a href=\"x\">点击</a></strong>&nbsp;a &lt; b"
            )
            .as_deref(),
            Some("获取\n1. 只有单笔\n点击 a < b")
        );
        assert_eq!(
            plain_text("a < b and c<=d").as_deref(),
            Some("a < b and c<=d")
        );
        assert_eq!(plain_text(" <br/> "), None);
    }
}
