//! Doudian's signature, the mock's own code (see `crate::sign`).

use crate::sign::hmac_sha256;
use md5::{Digest, Md5};

/// What [`doudian`] signs, shown: the secret as `***`, and credential or personal members of
/// `param_json` masked.
pub fn doudian_shown(app_key: &str, method: &str, param_json: &str, timestamp: &str) -> String {
    let param_json = opengate_redact::mask(param_json);
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
