//! The mock's own signature checks, written from the platforms' documentation
//! independently of the client's signers: a bug on one side cannot hide in both.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (x, y): (Vec<u16>, Vec<u16>) = (a.encode_utf16().collect(), b.encode_utf16().collect());
    x.cmp(&y)
}

macro_rules! hmac_with {
    ($name:ident, $d:ty) => {
        fn $name(key: &[u8], msg: &[u8]) -> Vec<u8> {
            match <Hmac<$d> as Mac>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
    };
}
hmac_with!(hmac_md5, Md5);
hmac_with!(hmac_sha1, sha1::Sha1);
hmac_with!(hmac_sha256, sha2::Sha256);

fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c.is_whitespace() && c != '\u{a0}')
}

/// TOP's signed pairs: non-blank, `sign` left out, in Java string order.
fn top_pairs(params: &[(String, String)]) -> Vec<&(String, String)> {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !is_blank(k) && !is_blank(v))
        .collect();
    kept.sort_by(|a, b| utf16_order(&a.0, &b.0));
    kept
}

/// TOP: sort keys, concatenate non-blank `key+value`, digest, upper hex.
pub fn top(params: &[(String, String)], secret: &str, method: &str) -> Option<String> {
    let joined: String = top_pairs(params)
        .iter()
        .map(|(k, v)| format!("{k}{v}"))
        .collect();
    let bytes = match method {
        "md5" => Md5::digest(format!("{secret}{joined}{secret}").as_bytes()).to_vec(),
        "hmac" => hmac_md5(secret.as_bytes(), joined.as_bytes()),
        "hmac-sha256" => hmac_sha256(secret.as_bytes(), joined.as_bytes()),
        _ => return None,
    };
    Some(hex::encode_upper(bytes))
}

/// What [`top`] signs, shown: the secret and the values of credential or personal params
/// (`session`...) as `***`.
pub fn top_shown(params: &[(String, String)], method: &str) -> String {
    let joined: String = top_pairs(params)
        .iter()
        .map(|(k, v)| format!("{k}{}", shown(k, v)))
        .collect();
    if method == "md5" {
        format!("***{joined}***")
    } else {
        joined
    }
}

/// A signed value as a refusal shows it.
fn shown<'a>(name: &str, value: &'a str) -> &'a str {
    if opengate::redact::is_sensitive_name(name) {
        "***"
    } else {
        value
    }
}

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

/// What [`doudian`] signs, shown: the secret as `***`, and credential or personal members of
/// `param_json` masked.
pub fn doudian_shown(app_key: &str, method: &str, param_json: &str, timestamp: &str) -> String {
    let param_json = opengate::redact::mask(param_json);
    format!("***app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2***")
}

/// Doudian: digest of `secret app_key.. method.. param_json.. timestamp.. v2 secret`, lower hex.
pub fn doudian(
    secret: &str,
    app_key: &str,
    method: &str,
    param_json: &str,
    timestamp: &str,
    sign_method: &str,
) -> Option<String> {
    let pattern = [
        secret,
        "app_key",
        app_key,
        "method",
        method,
        "param_json",
        param_json,
        "timestamp",
        timestamp,
        "v",
        "2",
        secret,
    ]
    .concat();
    match sign_method {
        "md5" | "" => Some(hex::encode(Md5::digest(pattern.as_bytes()))),
        "hmac-sha256" => Some(hex::encode(hmac_sha256(
            secret.as_bytes(),
            pattern.as_bytes(),
        ))),
        _ => None,
    }
}

/// Youzan's and Doudian's push signature: MD5 of `app id + signed bytes + secret`, lower hex.
pub fn push_md5(app: &str, signed: &[u8], secret: &str) -> String {
    let mut h = Md5::new();
    h.update(app.as_bytes());
    h.update(signed);
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// Douyin's webhook signature: SHA-1 of `client secret + body`, lower hex.
pub fn douyin_push(secret: &str, body: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(secret.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    #[test]
    fn top_official_example() {
        let p: Vec<(String, String)> = [
            ("method", "taobao.item.seller.get"),
            ("app_key", "12345678"),
            ("session", "test"),
            ("timestamp", "2016-01-01 12:00:00"),
            ("format", "json"),
            ("v", "2.0"),
            ("sign_method", "md5"),
            ("fields", "num_iid,title,nick,price,num"),
            ("num_iid", "11223344"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            super::top(&p, "helloworld", "md5").unwrap(),
            "66987CB115214E59E6EC978214934FB8"
        );
    }
}
