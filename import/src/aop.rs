//! `aop-php-sdk`: the 1688 ocean PHP SDK (`src/<namespace path>/param/<Api>Param.class.php` and
//! `<Api>Result.class.php`, entity classes beside them). The weakest source: the SDK keeps
//! neither the API's name nor its version, and marks params required unreliably. What is
//! recovered, and how (each spec's `source` says so):
//! - namespace: the folder (`com/alibaba/trade/param` is `com.alibaba.trade`);
//! - name, with the official Python SDK given as `--index` ([`crate::aop_names`]): the real one
//!   where that SDK has an API of the class's words in the same namespace (then its required
//!   params, `need_auth` and doc page too); else the vocabulary rule's guess from the class
//!   name, said in `source.inferred`. Without the index, the class name's words lower-cased
//!   and joined by `.` (`AlibabaTradeGetBuyerView` is `alibaba.trade.get.buyer.view`, where the
//!   real name is `alibaba.trade.get.buyerView`);
//! - version `1`, method `POST`, auth `user` (an `access_token`);
//! - required: never (the SDK's "此参数必填" is on fields that are optional); where the SDK says
//!   so, the description says "SDK: 必填".
//!
//! The Python SDK's APIs that no PHP class has are imported from it alone: params as text (the
//! gateway's form values; uploads as files), no response shape, both said in `source.inferred`.
//!
//! Types: `String`, `Long`/`Integer`/`Byte`, `Boolean`, `Double`, `BigDecimal`; `Date` stays
//! text (1688 writes `yyyyMMddHHmmssSSS+0800`); `array include @see T[]` is a list of `T`,
//! another `array` raw JSON; a class name is the entity class of that name beside it.

use crate::aop_names::{words, Names, PyApi};
use crate::model::{plain_text, usable_name, ApiSpec, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct AopPhpSdk {
    /// The official Python SDK (`aop-python-sdk`), the source of real names.
    pub names: Option<PathBuf>,
}

impl Importer for AopPhpSdk {
    fn format(&self) -> &'static str {
        "aop-php-sdk"
    }

    fn platform(&self) -> &str {
        "alibaba"
    }

    fn default_groups(&self) -> &'static [&'static str] {
        &["trade", "product", "logistics"]
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let root = if source.join("src").is_dir() {
            source.join("src")
        } else {
            source.to_path_buf()
        };
        let names = self.names.as_deref().map(|dir| {
            let mut names = Names::new(crate::aop_names::read(dir, &mut import));
            let (right, of) = names.rule_accuracy();
            import.notes.push(format!(
                "1688 names: the vocabulary rule gets {right} of the Python SDK's {of} names right on its own (each left out of the vocabulary it is guessed from)"
            ));
            names
        });
        let mut files = Vec::new();
        files_with(&root, "Param.class.php", &mut files, &mut import);
        let mut matched = BTreeSet::new();
        for rel in files {
            // The SDK's own examples and tests are not APIs.
            if rel.starts_with("test/") || rel.contains("/example/") {
                continue;
            }
            if let Some((group, api)) = read_api(&root, &rel, names.as_ref(), &mut import) {
                if api.source.format == "aop-php-sdk"
                    && !api.source.inferred.iter().any(|f| f == "name")
                {
                    matched.insert((api.namespace.clone(), api.name.clone()));
                }
                import.apis.push(Imported { group, api });
            }
        }
        for py in names.iter().flat_map(Names::apis) {
            if !matched.contains(&(Some(py.namespace.clone()), py.name.clone())) {
                import.apis.push(python_only(py));
            }
        }
        import
    }
}

/// One setter of a PHP class.
#[derive(Debug, Clone, PartialEq)]
struct Setter {
    wire: String,
    ty: String,
    /// `T` of `array include @see T[]`.
    element: Option<String>,
    description: Option<String>,
    example: Option<String>,
    required_marker: bool,
}

/// The setters of a generated SDK class, in order.
fn setters(src: &str) -> Vec<Setter> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(start) = rest.find("/**") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("*/") else {
            break;
        };
        let block = &after[..end];
        let tail = &after[end + 2..];
        rest = tail;
        let head = tail.trim_start();
        let Some(sig) = head.strip_prefix("public function set") else {
            continue;
        };
        let body_end = sig.find("\n    }").unwrap_or(sig.len());
        let body = &sig[..body_end];
        let Some(param_line) = block.lines().find(|l| l.contains("@param")) else {
            continue;
        };
        let words: Vec<&str> = param_line
            .split("@param")
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let Some(var) = words
            .iter()
            .find(|w| w.starts_with('$'))
            .map(|w| w.trim_start_matches('$'))
        else {
            continue;
        };
        let ty = words.first().copied().unwrap_or("String").to_owned();
        let element = (ty == "array")
            .then(|| {
                words
                    .iter()
                    .position(|w| *w == "@see")
                    .and_then(|i| words.get(i + 1))
            })
            .flatten()
            .map(|t| t.trim_end_matches("[]").to_owned());
        // Param classes name the wire member in `$this->sdkStdResult["webSite"]`.
        let wire = body
            .split("sdkStdResult[\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or(var)
            .to_owned();
        let description = block
            .lines()
            .map(|l| l.trim().trim_start_matches('*').trim())
            .find_map(|l| l.strip_prefix("设置"))
            .and_then(plain_text);
        let example = block
            .split("参数示例：<pre>")
            .nth(1)
            .and_then(|s| s.split("</pre>").next())
            .map(str::trim)
            .filter(|e| !e.is_empty() && *e != "null")
            .map(str::to_owned);
        out.push(Setter {
            wire,
            ty,
            element,
            description,
            example,
            required_marker: block.contains("此参数必填"),
        });
    }
    out
}

fn read_api(
    root: &Path,
    rel: &str,
    names: Option<&Names>,
    import: &mut Import,
) -> Option<(String, ApiSpec)> {
    let (folder, file) = rel.rsplit_once('/')?;
    let class = file.trim_end_matches("Param.class.php");
    let namespace = folder.trim_end_matches("/param").replace('/', ".");
    let class_words = words(class);
    let real = names.and_then(|n| n.find(&namespace, &class_words));
    let name = match (real, names) {
        (Some(py), _) => py.name.clone(),
        (None, Some(names)) => names.guess(&class_words),
        (None, None) => class_words
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("."),
    };
    if !usable_name(&name) {
        import.problem(rel, format!("class `{class}` gives no usable API name"));
        return None;
    }
    let dir = root.join(folder);
    let src = std::fs::read_to_string(root.join(rel))
        .map_err(|e| import.problem(rel, format!("cannot read: {e}")))
        .ok()?;
    let mut stack = vec![class.to_owned()];
    let params = fields(&setters(&src), &dir, rel, import, &mut stack, true);
    let result_rel = format!("{folder}/{class}Result.class.php");
    let response = match std::fs::read_to_string(root.join(&result_rel)) {
        Ok(src) => fields(&setters(&src), &dir, &result_rel, import, &mut stack, false),
        Err(_) => {
            import.problem(
                &result_rel,
                "no result class: the response is not described",
            );
            Vec::new()
        }
    };
    let group = namespace.rsplit('.').next().unwrap_or("misc").to_owned();
    let mut api = ApiSpec {
        name: name.clone(),
        version: "1".into(),
        auth: "user".into(),
        method: "POST".into(),
        namespace: Some(namespace),
        params,
        response,
        source: Source {
            format: "aop-php-sdk".into(),
            file: rel.to_owned(),
            inferred: ["name", "version", "method", "auth", "required"].map(String::from).to_vec(),
            note: Some(match names {
                Some(_) => format!(
                    "the name `{name}` is guessed from the SDK class `{class}Param` by the vocabulary of the official Python SDK's names (the rule in docs/decisions.md): check it against the API's doc page"
                ),
                None => format!(
                    "the name `{name}` is recovered from the SDK class `{class}Param`: check it against the API's doc page"
                ),
            }),
        },
        ..ApiSpec::default()
    };
    if let Some(py) = real {
        confirm(&mut api, py);
    }
    Some((group, api))
}

/// What the official Python SDK says of an API the PHP class describes: its name and version
/// (already taken), required params (its params the PHP class lacks are added as text), whether
/// it needs a user token, and its doc page.
fn confirm(api: &mut ApiSpec, py: &PyApi) {
    api.version = py.version.clone();
    api.auth = auth(py).into();
    api.doc_url = py.doc_url.clone();
    if api.description.is_none() {
        api.description = py.description.clone();
    }
    for p in &mut api.params {
        p.required = py.required.contains(&p.name);
    }
    let missing: Vec<Param> = py
        .params
        .iter()
        .filter(|n| api.params.iter().all(|p| &p.name != *n))
        .map(|n| python_param(py, n))
        .collect();
    api.params.extend(missing);
    api.source.inferred = vec!["method".into()];
    api.source.note = Some(format!(
        "name, version, required params and auth from the official Python SDK ({})",
        py.file
    ));
}

/// `user` where the Python SDK's `need_auth()` says a user token is needed, else `app`.
fn auth(py: &PyApi) -> &'static str {
    if py.need_auth {
        "user"
    } else {
        "app"
    }
}

/// A param the Python SDK alone describes: text, or a file where it is a multipart part.
fn python_param(py: &PyApi, name: &str) -> Param {
    let ty = if py.multipart.iter().any(|m| m == name) {
        "file"
    } else {
        "string"
    };
    let mut p = Param::new(name, Type::Scalar(ty));
    p.required = py.required.iter().any(|r| r == name);
    p
}

/// An API only the Python SDK has.
fn python_only(py: &PyApi) -> Imported {
    let group = py.namespace.rsplit('.').next().unwrap_or("misc").to_owned();
    Imported {
        group,
        api: ApiSpec {
            name: py.name.clone(),
            version: py.version.clone(),
            description: py.description.clone(),
            auth: auth(py).into(),
            method: "POST".into(),
            namespace: Some(py.namespace.clone()),
            doc_url: py.doc_url.clone(),
            params: py.params.iter().map(|n| python_param(py, n)).collect(),
            source: Source {
                format: "aop-python-sdk".into(),
                file: py.file.clone(),
                inferred: ["method", "types", "response"].map(String::from).to_vec(),
                note: Some(
                    "the official Python SDK has no types and no response shapes: params are sent as the gateway's text, the answer is read raw".into(),
                ),
            },
            ..ApiSpec::default()
        },
    }
}

fn fields(
    list: &[Setter],
    dir: &Path,
    rel: &str,
    import: &mut Import,
    stack: &mut Vec<String>,
    is_request: bool,
) -> Vec<Param> {
    let mut out: Vec<Param> = Vec::new();
    for s in list {
        if !usable_name(&s.wire) {
            import.problem(rel, format!("unusable field name `{}`, skipped", s.wire));
            continue;
        }
        if out.iter().any(|p| p.name == s.wire) {
            import.problem(
                rel,
                format!("duplicate field `{}`, the first is kept", s.wire),
            );
            continue;
        }
        let ty = match (s.ty.as_str(), &s.element) {
            ("array", Some(elem)) => Type::Array(Box::new(php_type(elem, dir, rel, import, stack))),
            (ty, _) => php_type(ty, dir, rel, import, stack),
        };
        let mut p = Param::new(s.wire.clone(), ty);
        p.description = match (&s.description, s.required_marker && is_request) {
            (Some(d), true) => Some(format!("{d} (SDK: 必填)")),
            (None, true) => Some("SDK: 必填".into()),
            (d, false) => d.clone(),
        };
        if is_request {
            p.example = s.example.clone();
        }
        out.push(p);
    }
    out
}

fn php_type(ty: &str, dir: &Path, rel: &str, import: &mut Import, stack: &mut Vec<String>) -> Type {
    match ty {
        "String" | "string" | "Date" => Type::Scalar("string"),
        "Long" | "Integer" | "int" | "Byte" | "Short" => Type::Scalar("long"),
        "Boolean" | "bool" => Type::Scalar("boolean"),
        "Double" | "Float" | "float" => Type::Scalar("double"),
        "BigDecimal" => Type::Scalar("decimal"),
        "array" | "Object" | "Map" | "mixed" => Type::Scalar("json"),
        class if class.chars().all(|c| c.is_ascii_alphanumeric()) && !class.is_empty() => {
            if stack.iter().any(|s| s == class) {
                return Type::Scalar("json");
            }
            let path = dir.join(format!("{class}.class.php"));
            match std::fs::read_to_string(&path) {
                Ok(src) => {
                    stack.push(class.to_owned());
                    let f = fields(&setters(&src), dir, rel, import, stack, false);
                    stack.pop();
                    Type::Object(f)
                }
                Err(_) => {
                    import.problem(
                        rel,
                        format!("entity class `{class}` is not beside it; read as JSON"),
                    );
                    Type::Scalar("json")
                }
            }
        }
        other => {
            import.problem(rel, format!("unknown type `{other}`; read as JSON"));
            Type::Scalar("json")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn class_names_split_into_words() {
        assert_eq!(
            words("AlibabaTradeGetBuyerView"),
            ["Alibaba", "Trade", "Get", "Buyer", "View"]
        );
        assert_eq!(
            words("AlibabaCreateOrderPreview4CybMedia"),
            ["Alibaba", "Create", "Order", "Preview4", "Cyb", "Media"]
        );
        assert_eq!(
            words("AlibabaTradeGetBuyerOrderListWithOBUid"),
            ["Alibaba", "Trade", "Get", "Buyer", "Order", "List", "With", "OB", "Uid"]
        );
    }
}
