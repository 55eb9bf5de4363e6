//! The mock's own signature checks, written from the platforms' documentation
//! independently of the client's signers: a bug on one side cannot hide in both.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

pub(crate) fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (x, y): (Vec<u16>, Vec<u16>) = (a.encode_utf16().collect(), b.encode_utf16().collect());
    x.cmp(&y)
}

macro_rules! hmac_with {
    ($name:ident, $d:ty) => {
        pub(crate) fn $name(key: &[u8], msg: &[u8]) -> Vec<u8> {
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

pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c.is_whitespace() && c != '\u{a0}')
}

/// A signed value as a refusal shows it.
pub(crate) fn shown<'a>(name: &str, value: &'a str) -> &'a str {
    if opengate_redact::is_sensitive_name(name) {
        "***"
    } else {
        value
    }
}

/// A push signature two platforms share: MD5 of `app id + signed bytes + secret`, lower hex.
pub fn push_md5(app: &str, signed: &[u8], secret: &str) -> String {
    let mut h = Md5::new();
    h.update(app.as_bytes());
    h.update(signed);
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}
