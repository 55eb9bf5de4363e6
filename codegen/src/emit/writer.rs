//! The text layout of the generated code (prettyplease's, where it is modelled) and the small
//! text helpers every emitter uses.

/// prettyplease's line width.
pub(super) const MARGIN: usize = 89;
pub(super) const INDENT: usize = 4;
/// prettyplease breaks a struct literal wider than this whatever the room left on the line.
pub(super) const STRUCT_LITERAL_MAX: usize = 34;

/// Source text under construction.
pub(super) struct Writer {
    pub(super) out: String,
}

impl Writer {
    pub(super) fn new() -> Self {
        Writer { out: String::new() }
    }

    /// One line; one too long for prettyplease's margin stays whole (see the module docs).
    pub(super) fn line(&mut self, indent: usize, text: &str) {
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Doc comments, one `///` line per line of text.
    pub(super) fn docs(&mut self, indent: usize, lines: &[String]) {
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
    pub(super) fn list(&mut self, indent: usize, head: &str, items: &[String], tail: &str) {
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
    pub(super) fn struct_literal(
        &mut self,
        indent: usize,
        prefix: &str,
        fields: &[String],
        suffix: &str,
    ) {
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
pub(super) fn lit(s: &str) -> String {
    proc_macro2::Literal::string(s).to_string()
}

/// A code span; blanks collapse to one space (a catalog's example may hold tabs and line breaks).
pub(super) fn code(s: &str) -> String {
    let text = s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("`{}`", text.replace('`', "'"))
}

/// Spec text as doc text: plain prose, whatever a catalog wrote. Leading spaces (also after a
/// list marker) would start a code block, which rustdoc compiles as a doctest, and a fence the
/// same; brackets make an intra-doc link, `<...>` an HTML tag, and a bare URL draws rustdoc's
/// `bare_urls` lint. So runs of blanks become one space, fences lose their backticks, those
/// characters are escaped outside code spans and URLs are wrapped in `<...>`.
pub(super) fn prose(text: &str) -> Vec<String> {
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

/// `Post` from `POST`, `Query` from `query`.
pub(super) fn variant(s: &str) -> String {
    let mut v = s.to_ascii_lowercase();
    if let Some(first) = v.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    v
}
