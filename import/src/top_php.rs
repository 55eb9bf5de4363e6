//! `top-php-sdk`: the official Taobao TOP PHP SDK's request classes
//! (`src/top/request/<Class>Request.php`, one API each). Per class: `getApiMethodName()` (the
//! name), `@since 1.0, <date>` (when the class was last generated), a private member per param
//! with its `/** description **/`, the setter's `$this->apiParas["<wire name>"]`, and `check()`:
//! `checkNotNull` (required) and `checkMaxLength`. It has no types (PHP passes text; struct params
//! are JSON text), no responses, and says nothing of version, method or session.
//!
//! Rules, said in `source.inferred`: every param is text (TOP's wire type); the answer is read
//! raw; version `2.0`, `POST` and auth `optional` as for the metadata ([`crate::top`]). A class
//! last generated in 2017 or before is marked stale (probably withdrawn): it is kept only where
//! another catalog has the API too ([`crate::merge`]).

use crate::model::{usable_name, ApiSpec, Param, Source, Type};
use crate::{files_with, Import, Imported, Importer};
use std::path::Path;

/// Classes last generated in this year or before are stale.
const STALE_UNTIL: u32 = 2017;

#[derive(Debug, Clone, Copy, Default)]
pub struct TopPhpSdk;

impl Importer for TopPhpSdk {
    fn format(&self) -> &'static str {
        "top-php-sdk"
    }

    fn platform(&self) -> &str {
        "taobao"
    }

    fn read(&self, source: &Path) -> Import {
        let mut import = Import::default();
        let root = ["src/top/request", "top/request", "request"]
            .iter()
            .map(|p| source.join(p))
            .find(|p| p.is_dir())
            .unwrap_or_else(|| source.to_owned());
        let mut files = Vec::new();
        files_with(&root, "Request.php", &mut files, &mut import);
        for rel in files {
            match std::fs::read_to_string(root.join(&rel)) {
                Ok(src) => match api(&src, &rel) {
                    Ok(api) => import.apis.push(Imported {
                        group: format!("more_{}", api.name.split('.').next().unwrap_or("taobao")),
                        api,
                    }),
                    Err(why) => import.problem(&rel, why),
                },
                Err(e) => import.problem(&rel, format!("cannot read: {e}")),
            }
        }
        import
    }
}

/// The text of the first `"…"` after `at` in `s`.
fn quoted_after<'a>(s: &'a str, at: &str) -> Option<&'a str> {
    s.split(at).nth(1)?.split('"').nth(1)
}

/// The year of `@since 1.0, 2020.09.02` (or `2016-01-01 12:00:00`).
fn since(src: &str) -> Option<u32> {
    let after = src.split("@since").nth(1)?.split(',').nth(1)?.trim();
    after.get(..4)?.parse().ok()
}

fn api(src: &str, rel: &str) -> Result<ApiSpec, String> {
    let name = quoted_after(src, "function getApiMethodName()")
        .ok_or("no `getApiMethodName()`")?
        .trim();
    if !usable_name(name) {
        return Err(format!(
            "API name `{name}` is not letters, digits and `._-`"
        ));
    }
    let year = since(src);
    let check = src.split("function check()").nth(1).unwrap_or_default();
    let checked = |rule: &str, wire: &str| -> Option<String> {
        check
            .split(&format!("RequestCheckUtil::{rule}("))
            .skip(1)
            .map(|c| c.split(')').next().unwrap_or_default())
            .find(|args| args.rsplit(',').next().map(|w| w.trim().trim_matches('"')) == Some(wire))
            .map(str::to_owned)
    };
    let mut params: Vec<Param> = Vec::new();
    // Each setter: `public function setX($var) { …; $this->apiParas["wire"] = $var; }`.
    for setter in src.split("public function set").skip(1) {
        let Some(var) = setter.split('$').nth(1).and_then(|v| v.split(')').next()) else {
            continue;
        };
        let body = setter.split('}').next().unwrap_or_default();
        let Some(wire) = quoted_after(body, "apiParas[") else {
            continue;
        };
        if !usable_name(wire) || params.iter().any(|p| p.name == wire) {
            continue;
        }
        let mut p = Param::new(wire, Type::Scalar("string"));
        p.required = checked("checkNotNull", wire).is_some();
        p.max_length = checked("checkMaxLength", wire)
            .and_then(|args| args.split(',').nth(1)?.trim().parse().ok());
        p.description = description(src, var.trim());
        params.push(p);
    }
    let stale = year.is_some_and(|y| y <= STALE_UNTIL);
    Ok(ApiSpec {
        name: name.to_owned(),
        version: "2.0".into(),
        auth: "optional".into(),
        method: "POST".into(),
        params,
        stale,
        source: Source {
            format: "top-php-sdk".into(),
            file: rel.to_owned(),
            inferred: ["version", "method", "auth", "types", "response"]
                .map(String::from)
                .to_vec(),
            note: year.map(|y| format!("the SDK's class was generated in {y}")),
        },
        ..ApiSpec::default()
    })
}

/// The `/** … **/` right before `private $var;`.
fn description(src: &str, var: &str) -> Option<String> {
    let at = src.find(&format!("private ${var};"))?;
    let before = src[..at].trim_end();
    let doc = before.strip_suffix("**/")?;
    let start = doc.rfind("/**")?;
    let text = doc[start + 3..]
        .lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    crate::model::plain_text(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"<?php
/**
 * TOP API: taobao.trade.fullinfo.get request
 *
 * @author auto create
 * @since 1.0, 2020.09.02
 */
class TradeFullinfoGetRequest
{
	/**
	 * 需要返回的字段列表
	 **/
	private $fields;

	/**
	 * 交易编号
	 **/
	private $tid;

	private $apiParas = array();

	public function setFields($fields)
	{
		$this->fields = $fields;
		$this->apiParas["fields"] = $fields;
	}

	public function setTid($tid)
	{
		$this->tid = $tid;
		$this->apiParas["tid"] = $tid;
	}

	public function getApiMethodName()
	{
		return "taobao.trade.fullinfo.get";
	}

	public function check()
	{
		RequestCheckUtil::checkNotNull($this->fields,"fields");
		RequestCheckUtil::checkMaxLength($this->fields,200,"fields");
	}
}
"#;

    #[test]
    fn a_request_class_is_read() {
        let a = api(SRC, "TradeFullinfoGetRequest.php").unwrap();
        assert_eq!(a.name, "taobao.trade.fullinfo.get");
        assert!(!a.stale);
        let fields = &a.params[0];
        assert_eq!(fields.name, "fields");
        assert!(fields.required);
        assert_eq!(fields.max_length, Some(200));
        assert_eq!(fields.description.as_deref(), Some("需要返回的字段列表"));
        assert!(!a.params[1].required);
        assert_eq!(a.params[1].ty, Type::Scalar("string"));
        let old = api(&SRC.replace("2020.09.02", "2016-01-01 12:00:00"), "X.php").unwrap();
        assert!(old.stale, "generated in 2016");
        assert!(api("<?php class X {}", "X.php").is_err());
    }
}
