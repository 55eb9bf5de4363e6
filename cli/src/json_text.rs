//! JSON as the platform wrote it, for printing: members in the order sent and numbers in their
//! own text, where a `serde_json::Value` sorts members and holds an integer beyond 64 bits as an
//! f64 (2^64+1 printed as `1.8446744073709552e+19`). Strings are written as serde_json writes
//! them.

use jiter::{Jiter, JiterResult, Peek};

/// Deeper documents are printed from the parsed value instead (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// The text of the value at `path` (member names) in the document `json`.
pub fn at<'a>(json: &'a [u8], path: &[&str]) -> Option<&'a [u8]> {
    let mut j = Jiter::new(json);
    for seg in path {
        let mut matched = j.next_object().ok()?.map(|k| k == *seg);
        loop {
            match matched {
                // The end of the object: no such member.
                None => return None,
                Some(true) => break,
                Some(false) => {
                    j.next_skip().ok()?;
                    matched = j.next_key().ok()?.map(|k| k == *seg);
                }
            }
        }
    }
    let peek = j.peek().ok()?;
    let start = j.current_index();
    j.known_skip(peek).ok()?;
    Some(&json[start..j.current_index()])
}

/// The texts of a list's members at `path`, read as `opengate::paging::elements` reads the
/// parsed value: an array, or a TOP wrapper around one (`{"trade": [...]}`, a single element
/// as `{"trade": {...}}`).
pub fn elements<'a>(json: &'a [u8], path: &[&str]) -> Option<Vec<&'a [u8]>> {
    let list = at(json, path)?;
    let mut j = Jiter::new(list);
    let list = match j.peek().ok()? {
        Peek::Array => list,
        Peek::Object => {
            j.next_object().ok()??;
            let peek = j.peek().ok()?;
            let start = j.current_index();
            j.known_skip(peek).ok()?;
            let inner = &list[start..j.current_index()];
            // One member only.
            if j.next_key().ok()?.is_some() {
                return Some(Vec::new());
            }
            match peek {
                Peek::Array => inner,
                Peek::Object => return Some(vec![inner]),
                _ => return Some(Vec::new()),
            }
        }
        _ => return Some(Vec::new()),
    };
    let mut j = Jiter::new(list);
    let mut items = Vec::new();
    let mut next = j.next_array().ok()?;
    while let Some(peek) = next {
        let start = j.current_index();
        j.known_skip(peek).ok()?;
        items.push(&list[start..j.current_index()]);
        next = j.array_step().ok()?;
    }
    Some(items)
}

/// `json` indented by two spaces as `serde_json::to_string_pretty` does, or `None` when it is
/// not one JSON document.
pub fn pretty(json: &[u8]) -> Option<String> {
    format(json, true)
}

/// `json` on one line as a `serde_json::Value`'s `Display` writes it.
pub fn compact(json: &[u8]) -> Option<String> {
    format(json, false)
}

fn format(json: &[u8], indent: bool) -> Option<String> {
    let mut j = Jiter::new(json);
    let mut out = String::with_capacity(json.len());
    let peek = j.peek().ok()?;
    let mut w = Writer {
        out: &mut out,
        indent,
    };
    w.value(&mut j, peek, 0).ok()??;
    j.finish().ok()?;
    Some(out)
}

struct Writer<'o> {
    out: &'o mut String,
    indent: bool,
}

impl Writer<'_> {
    /// `Ok(None)` when the document is deeper than [`MAX_DEPTH`].
    fn value(&mut self, j: &mut Jiter, peek: Peek, depth: usize) -> JiterResult<Option<()>> {
        if depth > MAX_DEPTH {
            return Ok(None);
        }
        match peek {
            Peek::Null => {
                j.known_null()?;
                self.out.push_str("null");
            }
            Peek::True | Peek::False => {
                let b = j.known_bool(peek)?;
                self.out.push_str(if b { "true" } else { "false" });
            }
            Peek::String => {
                let s = j.known_str()?;
                self.string(s);
            }
            Peek::Array => {
                let mut next = j.known_array()?;
                if next.is_none() {
                    self.out.push_str("[]");
                    return Ok(Some(()));
                }
                self.out.push('[');
                let mut first = true;
                while let Some(peek) = next {
                    if !first {
                        self.out.push(',');
                    }
                    first = false;
                    self.newline(depth + 1);
                    if self.value(j, peek, depth + 1)?.is_none() {
                        return Ok(None);
                    }
                    next = j.array_step()?;
                }
                self.newline(depth);
                self.out.push(']');
            }
            Peek::Object => {
                let mut key = j.known_object()?.map(str::to_owned);
                if key.is_none() {
                    self.out.push_str("{}");
                    return Ok(Some(()));
                }
                self.out.push('{');
                let mut first = true;
                while let Some(k) = key {
                    if !first {
                        self.out.push(',');
                    }
                    first = false;
                    self.newline(depth + 1);
                    self.string(&k);
                    self.out.push_str(if self.indent { ": " } else { ":" });
                    let peek = j.peek()?;
                    if self.value(j, peek, depth + 1)?.is_none() {
                        return Ok(None);
                    }
                    key = j.next_key()?.map(str::to_owned);
                }
                self.newline(depth);
                self.out.push('}');
            }
            // A number: its own text.
            _ => {
                let text = j.known_number_bytes(peek)?;
                self.out.push_str(&String::from_utf8_lossy(text));
            }
        }
        Ok(Some(()))
    }

    fn string(&mut self, s: &str) {
        // Writing a `&str` to a `String` cannot fail.
        if let Ok(quoted) = serde_json::to_string(s) {
            self.out.push_str(&quoted);
        }
    }

    fn newline(&mut self, depth: usize) {
        if self.indent {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#" { "resp" : { "id": 18446744073709551617, "price": 1.10, "big": -123456789012345678901234567890,
        "name": "\u4e2d\"文", "ok": true, "none": null, "e": [], "o": {},
        "list": {"trade": [ {"tid": 36893488147419103233}, {"tid": 2} ]}, "one": {"trade": {"tid": 3}} } } "#;

    #[test]
    fn numbers_keep_their_text_and_the_rest_prints_as_serde_json_does() {
        let data = at(DOC.as_bytes(), &["resp"]).unwrap();
        let printed = pretty(data).unwrap();
        assert!(
            printed.contains("\"id\": 18446744073709551617,"),
            "{printed}"
        );
        assert!(printed.contains("\"price\": 1.10,"), "{printed}");
        assert!(
            printed.contains("-123456789012345678901234567890"),
            "{printed}"
        );
        // Otherwise serde_json's layout and escapes, in the members' own order.
        let expected = r#"{
  "id": 18446744073709551617,
  "price": 1.10,
  "big": -123456789012345678901234567890,
  "name": "中\"文",
  "ok": true,
  "none": null,
  "e": [],
  "o": {},
  "list": {
    "trade": [
      {
        "tid": 36893488147419103233
      },
      {
        "tid": 2
      }
    ]
  },
  "one": {
    "trade": {
      "tid": 3
    }
  }
}"#;
        assert_eq!(printed, expected);
        assert_eq!(
            compact(br#"{ "a" : [ 1 , 2.50 ], "b": { } }"#).unwrap(),
            r#"{"a":[1,2.50],"b":{}}"#
        );
    }

    #[test]
    fn list_members_are_found_as_paging_finds_them() {
        let texts = |path: &[&str]| -> Vec<String> {
            elements(DOC.as_bytes(), path)
                .unwrap()
                .into_iter()
                .map(|t| compact(t).unwrap())
                .collect()
        };
        assert_eq!(
            texts(&["resp", "list"]),
            [r#"{"tid":36893488147419103233}"#, r#"{"tid":2}"#]
        );
        assert_eq!(texts(&["resp", "one"]), [r#"{"tid":3}"#]);
        assert_eq!(texts(&["resp", "e"]), Vec::<String>::new());
        assert!(at(DOC.as_bytes(), &["resp", "missing"]).is_none());
    }

    #[test]
    fn what_is_not_one_document_is_refused() {
        for bad in ["", "{", "[1,]", "1 2", "{\"a\" 1}"] {
            assert!(pretty(bad.as_bytes()).is_none(), "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(pretty(deep.as_bytes()).is_none());
    }
}
