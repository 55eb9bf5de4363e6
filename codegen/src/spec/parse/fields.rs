//! Fields and their types: params, response members, nested objects and lists.

use super::{key, Cx};
use crate::spec::model::{Field, Limits, Located, Scalar, Ty, TYPE_NAMES};
use crate::yaml::{Node, Value};

impl Cx<'_> {
    pub(super) fn params(&mut self, n: &Node) -> Vec<Field> {
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
    pub(super) fn object_type(&mut self, n: &Node, what: &str) -> Option<Located<Vec<Field>>> {
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
