//! Turning wire names into Rust identifiers: predictable, valid, distinct.

use heck::{ToSnakeCase, ToUpperCamelCase};
use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];
/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Keeps ASCII letters, digits and `_`; everything else becomes `_`.
fn ascii_only(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A snake_case identifier (without `r#`), never empty, never starting with a digit.
pub fn snake(wire: &str) -> String {
    let s = ascii_only(&ascii_only(wire).to_snake_case());
    let s = s.trim_matches('_').to_owned();
    let s = collapse_underscores(&s);
    if s.is_empty() {
        "field".to_owned()
    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{s}")
    } else {
        s
    }
}

/// An UpperCamelCase type name, never empty, never starting with a digit.
pub fn pascal(wire: &str) -> String {
    let s = ascii_only(wire).to_upper_camel_case();
    let s: String = s.chars().filter(char::is_ascii_alphanumeric).collect();
    if s.is_empty() {
        "Type".to_owned()
    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{s}")
    } else {
        s
    }
}

fn collapse_underscores(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out
}

/// How an identifier must be written in Rust source: `r#type`, `self_`, or as is.
pub fn escape(ident: &str) -> String {
    if NOT_RAW.contains(&ident) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident) {
        format!("r#{ident}")
    } else {
        ident.to_owned()
    }
}

/// Hands out distinct names: the second `x` becomes `x_2`, and so on.
#[derive(Debug, Default)]
pub struct Namer {
    taken: BTreeSet<String>,
}

impl Namer {
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Namer {
            taken: reserved.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    pub fn claim(&mut self, base: String) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        let sep = if base.ends_with(|c: char| c.is_ascii_digit())
            || base.contains('_')
            || base.chars().next().is_some_and(char::is_lowercase)
        {
            "_"
        } else {
            ""
        };
        (2..)
            .map(|i| format!("{base}{sep}{i}"))
            .find(|c| self.taken.insert(c.clone()))
            .expect("an unbounded range always yields a free name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names() {
        assert_eq!(snake("searchList"), "search_list");
        assert_eq!(snake("productID"), "product_id");
        assert_eq!(snake("3.0.0"), "n3_0_0");
        assert_eq!(snake("中文"), "field");
        assert_eq!(snake("_aop_timestamp"), "aop_timestamp");
        assert_eq!(escape("type"), "r#type");
        assert_eq!(escape("self"), "self_");
        assert_eq!(pascal("data"), "Data");
        assert_eq!(pascal("9lives"), "N9lives");
    }

    #[test]
    fn namer_disambiguates() {
        let mut n = Namer::with_reserved(&["new"]);
        assert_eq!(n.claim("new".into()), "new_2");
        assert_eq!(n.claim("user_id".into()), "user_id");
        assert_eq!(n.claim("user_id".into()), "user_id_2");
        assert_eq!(n.claim("Data".into()), "Data");
        assert_eq!(n.claim("Data".into()), "Data2");
    }
}
