//! AOP's signature, the mock's own code (see `crate::sign`).

use crate::sign::{hmac_sha1, shown, utf16_order};

/// AOP: HMAC-SHA1(secret, url_path + sorted(key+value)), upper hex.
pub fn aop(url_path: &str, params: &[(String, String)], secret: &str) -> String {
    let msg = aop_message(url_path, params, |_, v| v);
    hex::encode_upper(hmac_sha1(secret.as_bytes(), msg.as_bytes()))
}

/// What [`aop`] signs, shown: the values of credential or personal params (`access_token`) as `***`.
pub fn aop_shown(url_path: &str, params: &[(String, String)]) -> String {
    aop_message(url_path, params, shown)
}

fn aop_message<'a>(
    url_path: &str,
    params: &'a [(String, String)],
    value: impl Fn(&str, &'a str) -> &'a str,
) -> String {
    // Sorted as whole `key+value` pieces, as the SDKs do: the order is that of the real values.
    let mut pieces: Vec<(String, &str, &str)> = params
        .iter()
        .filter(|(k, _)| k != "_aop_signature")
        .map(|(k, v)| (k.clone() + v, k.as_str(), v.as_str()))
        .collect();
    pieces.sort_by(|a, b| utf16_order(&a.0, &b.0));
    let signed: String = pieces
        .iter()
        .map(|(_, k, v)| format!("{k}{}", value(k, v)))
        .collect();
    format!("{url_path}{signed}")
}
