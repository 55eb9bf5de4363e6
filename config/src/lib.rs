//! The one reader of opengate's config file (`opengate.toml`), shared by the runtime's `Config` and
//! the mock gateway, so that both read the same file the same way.
//!
//! The file is TOML tables of settings (`[taobao]`, `[client]`, `[mock]`...). Each table's scalar
//! values are kept as text (`qps = 5` is `"5"`): the runtime and the mock check and parse each key
//! where it is used, with an error naming the table. Values that are tables or arrays belong to
//! whoever reads them (the mock's `[[mock.faults]]`) and are kept as TOML.

use std::collections::BTreeMap;
use std::fmt;

/// A config file's tables.
#[derive(Clone, Default, PartialEq)]
pub struct Tables {
    values: BTreeMap<String, BTreeMap<String, String>>,
    nested: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

/// Values are not shown: a table holds secrets.
impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tables")
            .field("tables", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Tables {
    /// Reads TOML text; `origin` (the file's path) starts every error. Every top-level value must
    /// be a table.
    pub fn parse(text: &str, origin: &str) -> Result<Tables, String> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            format!("{origin}: invalid TOML: {}", e.message().trim())
        })?;
        let mut tables = Tables::default();
        for (name, value) in doc {
            let toml::Value::Table(table) = value else {
                return Err(format!("{origin}: `{name}` must be a table like [{name}]"));
            };
            let mut values = BTreeMap::new();
            let mut nested = BTreeMap::new();
            for (key, value) in table {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => {
                        nested.insert(key, other);
                        continue;
                    }
                };
                values.insert(key, text);
            }
            if !nested.is_empty() {
                tables.nested.insert(name.clone(), nested);
            }
            tables.values.insert(name, values);
        }
        Ok(tables)
    }

    /// A setting's text as written (possibly empty).
    pub fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.values.get(table)?.get(key).map(String::as_str)
    }

    /// A value of `[table]` that is itself a table or an array (`[[mock.faults]]`).
    pub fn nested(&self, table: &str, key: &str) -> Option<&toml::Value> {
        self.nested.get(table)?.get(key)
    }

    /// Every table with its scalar settings, in name order.
    pub fn into_values(self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::Tables;

    #[test]
    fn scalars_become_text_and_the_rest_stays_toml() {
        let t = Tables::parse(
            "[a]\ns = \"x\"\ni = 5\nf = 0.5\nb = true\n[[a.list]]\nk = 1\n[b]\n",
            "f.toml",
        )
        .unwrap();
        assert_eq!(
            (
                t.get("a", "s"),
                t.get("a", "i"),
                t.get("a", "f"),
                t.get("a", "b")
            ),
            (Some("x"), Some("5"), Some("0.5"), Some("true"))
        );
        assert_eq!(t.get("a", "list"), None);
        assert!(t.nested("a", "list").unwrap().is_array());
        let names: Vec<String> = t.into_values().into_keys().collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn errors_name_the_file_and_what_is_wrong() {
        let e = Tables::parse("[a\n", "f.toml").unwrap_err();
        assert!(e.starts_with("f.toml: invalid TOML: "), "{e}");
        let e = Tables::parse("x = 1\n", "f.toml").unwrap_err();
        assert_eq!(e, "f.toml: `x` must be a table like [x]");
    }

    #[test]
    fn debug_shows_no_value() {
        let t = Tables::parse("[a]\nsecret = \"hunter2\"\n", "f").unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
    }
}
