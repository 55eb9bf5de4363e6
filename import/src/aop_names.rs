//! `aop-python-sdk`: the official 1688 Python SDK's API classes
//! (`tools/aop/api/biz/<Class>Param.py`), the source of 1688's real API names. Each class gives
//! `get_api_uri()` (`1/<namespace>/<name>`), its params (`self.<param> = None`),
//! `get_required_params()`, `get_multipart_params()` (uploads), `need_auth()` (a user token)
//! and a docstring (the description, and the doc page under `References`). It has no types and
//! no responses.
//!
//! The PHP SDK (`aop-php-sdk`) keeps no API names, only class names, which lose where a name
//! has dots and where camel case (`alibaba.trade.get.buyerView` is the class
//! `AlibabaTradeGetBuyerView`). [`Names`] gives the real name where this SDK has the API, and
//! otherwise a guess by the vocabulary rule: the class's words are cut into the name segments
//! the real names use (longest first: `Freight Template Get List` is `freightTemplate.getList`),
//! and a word no real segment starts with is a segment of its own, lower-cased.

use crate::{files_with, Import};
use std::collections::BTreeMap;
use std::path::Path;

/// One API of the Python SDK.
#[derive(Debug, Clone, PartialEq)]
pub struct PyApi {
    /// The file, relative to the folder read.
    pub file: String,
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub doc_url: Option<String>,
    /// The business params, in order (`access_token` is the gateway's).
    pub params: Vec<String>,
    pub required: Vec<String>,
    pub multipart: Vec<String>,
    pub need_auth: bool,
}

/// Reads every `*Param.py` under `dir` (the SDK's `tools/aop/api/biz`, or a folder above it).
pub fn read(dir: &Path, import: &mut Import) -> Vec<PyApi> {
    let root = ["tools/aop/api/biz", "aop/api/biz", "api/biz", "biz"]
        .iter()
        .map(|p| dir.join(p))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| dir.to_owned());
    let mut files = Vec::new();
    files_with(&root, "Param.py", &mut files, import);
    let mut out = Vec::new();
    for rel in files {
        match std::fs::read_to_string(root.join(&rel)) {
            Ok(src) => match api(&src, &rel) {
                Ok(a) => out.push(a),
                Err(why) => import.problem(&rel, why),
            },
            Err(e) => import.problem(&rel, format!("cannot read: {e}")),
        }
    }
    out
}

/// The value of `def <method>(self): return <value>` in `src`.
fn returned<'a>(src: &'a str, method: &str) -> Option<&'a str> {
    let at = src.find(&format!("def {method}(self"))?;
    let body = &src[at..];
    let ret = body.find("return ")?;
    body[ret + 7..].lines().next().map(str::trim)
}

/// The quoted strings of a Python list literal.
fn quoted(list: &str) -> Vec<String> {
    list.split(['\'', '"'])
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn api(src: &str, rel: &str) -> Result<PyApi, String> {
    let uri = returned(src, "get_api_uri")
        .map(quoted)
        .and_then(|q| q.into_iter().next())
        .ok_or("no `get_api_uri()`")?;
    let mut parts = uri.splitn(3, '/');
    let (Some(version), Some(namespace), Some(name)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "`get_api_uri()` is `{uri}`, not `<version>/<namespace>/<name>`"
        ));
    };
    if !crate::model::usable_name(name) || !crate::model::usable_name(namespace) {
        return Err(format!("`{uri}` gives no usable API name"));
    }
    let doc = src
        .split("\"\"\"")
        .nth(1)
        .unwrap_or_default()
        .split("References")
        .collect::<Vec<_>>();
    let description = doc.first().and_then(|d| crate::model::plain_text(d.trim()));
    let doc_url = doc.get(1).and_then(|r| {
        r.split_whitespace()
            .find(|w| w.starts_with("https://") || w.starts_with("http://"))
            .map(str::to_owned)
    });
    let init = src
        .split("def __init__")
        .nth(1)
        .and_then(|s| s.split("\n    def ").next())
        .unwrap_or_default();
    let params = init
        .lines()
        .filter_map(|l| l.trim().strip_prefix("self."))
        .filter_map(|l| l.split_once('=').map(|(n, _)| n.trim()))
        .filter(|n| *n != "access_token" && crate::model::usable_name(n))
        .map(str::to_owned)
        .collect();
    Ok(PyApi {
        file: rel.to_owned(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        version: version.to_owned(),
        description,
        doc_url,
        params,
        required: returned(src, "get_required_params").map_or_else(Vec::new, quoted),
        multipart: returned(src, "get_multipart_params").map_or_else(Vec::new, quoted),
        need_auth: returned(src, "need_auth") == Some("True"),
    })
}

/// The real names, by namespace and by their words, and the vocabulary of their segments.
#[derive(Debug, Default)]
pub struct Names {
    apis: Vec<PyApi>,
    /// Lower-cased words of a segment -> the segment as the real names write it, with how many
    /// names use it that way.
    vocabulary: BTreeMap<Vec<String>, BTreeMap<String, usize>>,
}

/// The lower-cased words of a camel-case or dotted name.
fn key_words(name: &str) -> Vec<String> {
    name.split('.')
        .flat_map(words)
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

impl Names {
    pub fn new(apis: Vec<PyApi>) -> Names {
        let mut names = Names {
            apis,
            vocabulary: BTreeMap::new(),
        };
        for i in 0..names.apis.len() {
            names.learn(i, 1);
        }
        names
    }

    /// Counts the segments of API `i` into the vocabulary (`by` 1) or out of it (-1).
    fn learn(&mut self, i: usize, by: isize) {
        for segment in self.apis[i].name.split('.') {
            let uses = self
                .vocabulary
                .entry(key_words(segment))
                .or_default()
                .entry(segment.to_owned())
                .or_default();
            *uses = uses.saturating_add_signed(by);
        }
    }

    /// The API of this SDK whose name has exactly the class's `words` (case and dots aside), in
    /// `namespace`.
    pub fn find(&self, namespace: &str, words: &[String]) -> Option<&PyApi> {
        let want: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        self.apis
            .iter()
            .find(|a| a.namespace == namespace && key_words(&a.name) == want)
    }

    /// Every API of the SDK.
    pub fn apis(&self) -> &[PyApi] {
        &self.apis
    }

    /// The name the vocabulary rule gives a class's `words`.
    pub fn guess(&self, words: &[String]) -> String {
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < lower.len() {
            // The longest known segment starting here; its most used spelling.
            let known = (1..=lower.len() - i).rev().find_map(|n| {
                let spellings = self.vocabulary.get(&lower[i..i + n])?;
                let (best, _) = spellings
                    .iter()
                    .filter(|(_, uses)| **uses > 0)
                    .max_by_key(|(spelling, uses)| (**uses, std::cmp::Reverse(*spelling)))?;
                Some((n, best.clone()))
            });
            let (n, mut segment) = known.unwrap_or_else(|| (1, lower[i].clone()));
            i += n;
            // By analogy: `buyer view` is `buyerView` when the names write `view` only as the
            // tail of a camel-case segment (`sellerView`), never as a segment of its own.
            while let Some(tail) = lower.get(i).and_then(|w| self.tail(w)) {
                segment.push_str(&tail);
                i += 1;
            }
            segments.push(segment);
        }
        segments.join(".")
    }

    /// `word` as the real names write it when it only ever ends a camel-case segment (never
    /// starts one): `View` for `view`.
    fn tail(&self, word: &str) -> Option<String> {
        let mut spelling = None;
        for (words, spellings) in &self.vocabulary {
            if !spellings.values().any(|uses| *uses > 0) {
                continue;
            }
            if words.first().is_some_and(|w| w == word) {
                return None;
            }
            if words.len() > 1 && words.last().is_some_and(|w| w == word) {
                let (used, _) = spellings.iter().find(|(_, uses)| **uses > 0)?;
                spelling = self::words(used).pop();
            }
        }
        spelling
    }

    /// How many of the real names the rule gets right on its own: each name is guessed with its
    /// own segments taken out of the vocabulary (leave-one-out), from its words alone.
    pub fn rule_accuracy(&mut self) -> (usize, usize) {
        let mut right = 0;
        for i in 0..self.apis.len() {
            self.learn(i, -1);
            let words = key_words(&self.apis[i].name);
            if self.guess(&words) == self.apis[i].name {
                right += 1;
            }
            self.learn(i, 1);
        }
        (right, self.apis.len())
    }
}

/// Splits `AlibabaTradeGetBuyerView` into its words; digits stay with the word before them.
pub(crate) fn words(class: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = class.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(char::is_ascii_lowercase));
        if out.is_empty() || boundary {
            out.push(String::new());
        }
        if let Some(w) = out.last_mut() {
            w.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(namespace: &str, name: &str) -> PyApi {
        PyApi {
            file: format!("{name}.py"),
            namespace: namespace.into(),
            name: name.into(),
            version: "1".into(),
            description: None,
            doc_url: None,
            params: vec![],
            required: vec![],
            multipart: vec![],
            need_auth: true,
        }
    }

    #[test]
    fn real_names_are_found_by_their_words_and_others_guessed_from_their_segments() {
        let mut names = Names::new(vec![
            named("com.alibaba.trade", "alibaba.trade.get.buyerView"),
            named("com.alibaba.trade", "alibaba.trade.getBuyerOrderList"),
            named(
                "com.alibaba.logistics",
                "alibaba.logistics.freightTemplate.getList",
            ),
            named(
                "com.alibaba.product",
                "alibaba.product.freightTemplate.getList",
            ),
            named("com.alibaba.trade", "alibaba.trade.ec.getOrder.sellerView"),
        ]);
        let found = names.find("com.alibaba.trade", &words("AlibabaTradeGetBuyerView"));
        assert_eq!(found.unwrap().name, "alibaba.trade.get.buyerView");
        // Another namespace is another API.
        assert!(names
            .find("com.alibaba.product", &words("AlibabaTradeGetBuyerView"))
            .is_none());
        assert_eq!(
            names.guess(&words("AlibabaTradeGetSellerView")),
            "alibaba.trade.get.sellerView"
        );
        assert_eq!(
            names.guess(&words("AlibabaPhotoFreightTemplateGetList")),
            "alibaba.photo.freightTemplate.getList"
        );
        // Words no real segment has are segments of their own.
        assert_eq!(
            names.guess(&words("AlibabaFooBarGet")),
            "alibaba.foo.bar.get"
        );
        // `view` only ever ends a segment (`sellerView`, `buyerView`): it joins the word before.
        assert_eq!(
            names.guess(&words("AlibabaTradeGetLogisticsInfosBuyerView")),
            "alibaba.trade.get.logistics.infos.buyerView"
        );
        // Each left out of the vocabulary: the two freight template names give each other their
        // segments, `sellerView` gives `buyerView` by analogy; `getBuyerOrderList` and `getOrder`
        // are used by one name alone.
        assert_eq!(names.rule_accuracy(), (3, 5));
    }

    #[test]
    fn a_class_of_the_sdk_is_read() {
        let src = r#"
class AlibabaLogisticsFreightTemplateGetListParam(BaseApi):
    """获取运费模板列表。

    References
    ----------
    https://open.1688.com/api/api.htm?ns=com.alibaba.logistics&n=alibaba.logistics.freightTemplate.getList&v=1

    """

    def __init__(self, domain=None):
        BaseApi.__init__(self, domain)
        self.access_token = None
        self.webSite = None
        self.imageBytes = None

    def get_api_uri(self):
        return '1/com.alibaba.logistics/alibaba.logistics.freightTemplate.getList'

    def get_required_params(self):
        return ['webSite']

    def get_multipart_params(self):
        return ['imageBytes']

    def need_auth(self):
        return False
"#;
        let a = api(src, "X.py").unwrap();
        assert_eq!(a.name, "alibaba.logistics.freightTemplate.getList");
        assert_eq!(a.namespace, "com.alibaba.logistics");
        assert_eq!(a.version, "1");
        assert_eq!(a.params, ["webSite", "imageBytes"]);
        assert_eq!(a.required, ["webSite"]);
        assert_eq!(a.multipart, ["imageBytes"]);
        assert!(!a.need_auth);
        assert_eq!(a.description.as_deref(), Some("获取运费模板列表。"));
        assert!(a
            .doc_url
            .unwrap()
            .starts_with("https://open.1688.com/api/api.htm?ns="));
        assert!(api("class X: pass", "X.py").is_err());
    }
}
