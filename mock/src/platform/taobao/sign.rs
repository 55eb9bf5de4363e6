//! TOP's signature, the mock's own code (see `crate::sign`).

use crate::sign::{hmac_md5, hmac_sha256, is_blank, shown, utf16_order};
use md5::{Digest, Md5};

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
