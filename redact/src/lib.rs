//! Keeping credentials and buyer data out of errors, `Debug` and logs.
//!
//! Error messages quote the start of a body the platform sent, for diagnosis. Such a body can
//! hold an access token or a buyer's phone number, so before it is quoted the value of every
//! member named like a credential or like personal data is replaced by `***`: in JSON (also JSON
//! carried inside a JSON string, as TOP and Doudian nest it) and in `name=value` pairs. The whole
//! body stays available to a caller who asks for it (`Reply::raw_bytes`, the mock's log).
//!
//! The same names rule decides which imported fields the importer marks `pii` (so that the
//! generated `Debug` masks them), which members an excerpt masks, and what the mock's request
//! log and refusals hide: one small crate, so that the mock and the importer need not link the
//! runtime (which re-exports it as `opengate::redact`).

use std::borrow::Cow;

/// Whether a member named `name` (snake or camel case) holds a credential: a token, a secret,
/// a session, a signature, a password.
pub fn is_credential_name(name: &str) -> bool {
    let words = words(name);
    let has = |w: &str| words.iter().any(|x| x == w);
    has("session")
        || has("sessionkey")
        || has("password")
        || has("passwd")
        || has("authorization")
        || has("cookie")
        || words.as_slice() == ["sign"]
        || words.as_slice() == ["signature"]
        || words
            .iter()
            .any(|w| w.ends_with("token") || w.ends_with("secret"))
}

/// Whether a member named `name` (snake or camel case) holds a person's data: receiver and
/// buyer names, phone numbers, addresses, e-mail, identity numbers, and the platforms'
/// encrypted copies of them (Doudian's `encrypt_post_tel`).
pub fn is_personal_name(name: &str) -> bool {
    let words = words(name);
    let has = |w: &str| words.iter().any(|x| x == w);
    // `phone_num`, `tel_num`: the number itself, though `num` is mostly a count.
    let phone = has("mobile") || has("phone") || has("telephone") || has("tel");
    if phone && words.last().is_some_and(|w| w == "num" || w == "no") {
        return true;
    }
    // `address_id`, `receiver_type`, `mobile_count`: about the data, not the data.
    if words.last().is_some_and(|w| {
        matches!(
            w.as_str(),
            "id" | "ids"
                | "code"
                | "type"
                | "status"
                | "count"
                | "num"
                | "flag"
                | "switch"
                | "required"
        )
    }) {
        return false;
    }
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    // A person's record as a whole, `buyerContact`, `receivers`, `consignees`: its `name` is
    // the person's, which the names rule alone cannot tell from a product's `name`.
    words.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "receiver" | "receivers" | "consignee" | "consignees"
        )
    }) || has("contact")
        || phone
        || has("address")
        || has("addr")
        || has("email")
        || has("idcard")
        || pair("id", "card")
        || has("nick")
        || has("nickname")
        || pair("id", "number")
        || pair("full", "name")
        || pair("buyer", "name")
        || pair("real", "name")
        || pair("post", "receiver")
        || words.first().is_some_and(|w| w == "encrypt")
}

/// Whether an excerpt masks the member `name`.
pub fn is_sensitive_name(name: &str) -> bool {
    is_credential_name(name) || is_personal_name(name)
}

/// The lower-case words of a snake, kebab or camel case name.
fn words(name: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' {
            out.push(String::new());
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(String::new());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        if let Some(last) = out.last_mut() {
            last.extend(c.to_lowercase());
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

/// `text` with the value of every sensitive member replaced by `***`.
pub fn mask(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let found = match b[i] {
            b'"' => json_member(text, i),
            b'=' => form_pair(text, i),
            b':' => labelled(text, i),
            b'1' => mobile_number(b, i),
            _ => None,
        };
        match found {
            Some((value_start, value_end, replacement)) => {
                out.push_str(&text[copied..value_start]);
                out.push_str(replacement);
                copied = value_end;
                i = value_end.max(i + 1);
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

/// At a quote: a member `"name":` (or `\"name\":` inside a JSON string) with a sensitive name:
/// where its value starts and ends, and what replaces it.
fn json_member(text: &str, quote: usize) -> Option<(usize, usize, &'static str)> {
    let b = text.as_bytes();
    let escaped = quote > 0 && b[quote - 1] == b'\\';
    let start = quote + 1;
    let mut j = start;
    while j < b.len() && is_name_byte(b[j]) {
        j += 1;
    }
    let closed = if escaped {
        b.get(j) == Some(&b'\\') && b.get(j + 1) == Some(&b'"')
    } else {
        b.get(j) == Some(&b'"')
    };
    if j == start || !closed || !is_sensitive_name(&text[start..j]) {
        return None;
    }
    let mut k = j + if escaped { 2 } else { 1 };
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    if b.get(k) != Some(&b':') {
        return None;
    }
    k += 1;
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    Some(json_value(b, k, escaped))
}

/// The end of the JSON value starting at `k` (cut short: the end of the text), and its
/// replacement. `escaped`: the value sits inside a JSON string, its quotes written `\"`.
fn json_value(b: &[u8], k: usize, escaped: bool) -> (usize, usize, &'static str) {
    let quoted = if escaped {
        b.get(k) == Some(&b'\\') && b.get(k + 1) == Some(&b'"')
    } else {
        b.get(k) == Some(&b'"')
    };
    if quoted {
        let mut j = k + if escaped { 2 } else { 1 };
        while j < b.len() {
            if escaped && b[j] == b'\\' && b.get(j + 1) == Some(&b'"') {
                return (k, j + 2, "\\\"***\\\"");
            }
            if !escaped && b[j] == b'\\' {
                j += 2;
                continue;
            }
            if !escaped && b[j] == b'"' {
                return (k, j + 1, "\"***\"");
            }
            j += 1;
        }
        return (k, b.len(), "\"***\"");
    }
    if matches!(b.get(k), Some(b'{' | b'[')) {
        // A nested object or list: all of it, brackets inside strings aside.
        let mut depth = 0usize;
        let mut in_string = false;
        let mut j = k;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 1,
                b'"' => in_string = !in_string,
                b'{' | b'[' if !in_string => depth += 1,
                b'}' | b']' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        return (k, j + 1, "\"***\"");
                    }
                }
                _ => {}
            }
            j += 1;
        }
        return (k, b.len(), "\"***\"");
    }
    let mut j = k;
    while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b'\\') && !b[j].is_ascii_whitespace()
    {
        j += 1;
    }
    (k, j, "***")
}

/// At `=`: a pair `name=value` (a query or form body) with a sensitive name.
fn form_pair(text: &str, eq: usize) -> Option<(usize, usize, &'static str)> {
    let b = text.as_bytes();
    let mut start = eq;
    while start > 0 && is_name_byte(b[start - 1]) {
        start -= 1;
    }
    let before_ok = start == 0 || matches!(b[start - 1], b'&' | b'?' | b';' | b',' | b' ' | b'\n');
    if start == eq || !before_ok || !is_sensitive_name(&text[start..eq]) {
        return None;
    }
    let mut j = eq + 1;
    while j < b.len()
        && !matches!(b[j], b'&' | b'"' | b'\'' | b';' | b',' | b'<')
        && !b[j].is_ascii_whitespace()
    {
        j += 1;
    }
    Some((eq + 1, j, "***"))
}

/// At `:`: prose naming a sensitive value, `session: 6102a…` or `receiver_phone:1…` (a platform's
/// message quoting what it refused): the value up to the next space or punctuation.
fn labelled(text: &str, colon: usize) -> Option<(usize, usize, &'static str)> {
    let b = text.as_bytes();
    let mut start = colon;
    while start > 0 && is_name_byte(b[start - 1]) {
        start -= 1;
    }
    if start == colon || !is_sensitive_name(&text[start..colon]) {
        return None;
    }
    let mut from = colon + 1;
    while from < b.len() && b[from] == b' ' {
        from += 1;
    }
    let mut end = from;
    while end < b.len()
        && !matches!(
            b[end],
            b'&' | b'"' | b'\'' | b';' | b',' | b'<' | b')' | b']' | b'}'
        )
        && !b[end].is_ascii_whitespace()
    {
        end += 1;
    }
    (end > from).then_some((from, end, "***"))
}

/// At a `1`: a mainland mobile number (`1[3-9]` and nine more digits, no digit around it),
/// wherever it is (a platform's message may quote one).
fn mobile_number(b: &[u8], i: usize) -> Option<(usize, usize, &'static str)> {
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let alone = i == 0 || !b[i - 1].is_ascii_digit();
    (alone && digits == 11 && matches!(b[i + 1], b'3'..=b'9')).then_some((i, i + 11, "1**********"))
}

/// Masks `Debug` output of a field marked `pii` or `secret` in a spec.
pub struct Masked;

impl std::fmt::Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_naming_a_sensitive_value_is_masked() {
        assert_eq!(
            mask("bad session: 6102a.b-c refused"),
            "bad session: *** refused"
        );
        assert_eq!(mask("receiver_phone:0571-888,ok"), "receiver_phone:***,ok");
        assert_eq!(mask("note: kept; time:12:00"), "note: kept; time:12:00");
        assert_eq!(mask("session: "), "session: ");
    }

    #[test]
    fn names() {
        for name in [
            "access_token",
            "refresh_token",
            "accessToken",
            "client_secret",
            "app_secret",
            "session",
            "sign",
            "receiver_mobile",
            "receiverMobile",
            "receiver_address",
            "receiver_name",
            "buyer_nick",
            "buyerNick",
            "post_tel",
            "encrypt_post_receiver",
            "mobile",
            "contact_phone",
            "id_card_no",
            // Issue 26: names the platforms use that the first rule missed.
            "toFullName",
            "nickname",
            "nick",
            "user_nick",
            "fans_nickname",
            "phone_num",
            "tel_num",
            "driver_phone_num",
            "id_number",
            "buyerContact",
            "receivers",
            "consignees",
            "seller_contact",
        ] {
            assert!(is_sensitive_name(name), "{name}");
        }
        for name in [
            "hotel_name",
            "title",
            "tid",
            "sign_method",
            "signed_at",
            "status",
            "item_name",
            "telecom",
            "address_id",
            "sendGoodsAddressId",
            "receiver_type",
            "mobile_count",
            "item_num",
            "order_number",
            "contact_id",
            "name",
        ] {
            assert!(!is_sensitive_name(name), "{name}");
        }
    }

    #[test]
    fn json_members_lose_their_values() {
        let body = r#"{"error": 500, "receiver_mobile": "13800138000", "access_token" : "tok-1", "n": 3, "tid": 42, "nested": {"buyerNick": "张三", "ok": true}, "receiver_address": {"city": "杭州", "line": "x [1]"}, "session": 77}"#;
        let masked = mask(body);
        for gone in ["13800138000", "tok-1", "张三", "杭州", "x [1]", "77"] {
            assert!(!masked.contains(gone), "{gone} in {masked}");
        }
        for kept in [
            r#""error": 500"#,
            r#""tid": 42"#,
            r#""ok": true"#,
            r#""n": 3"#,
        ] {
            assert!(masked.contains(kept), "{kept} in {masked}");
        }
        assert!(masked.contains(r#""receiver_mobile": "***""#), "{masked}");
        // A person's `name` goes with the record it is in; a product's stays.
        let body = r#"{"buyerContact": {"name": "王五", "phone": "1"}, "receivers": [{"name": "赵六"}], "item": {"name": "茶杯"}}"#;
        let masked = mask(body);
        assert!(
            !masked.contains("王五") && !masked.contains("赵六"),
            "{masked}"
        );
        assert!(masked.contains("茶杯"), "{masked}");
    }

    #[test]
    fn json_inside_a_string_and_cut_short_bodies() {
        let body = r#"{"data": "{\"post_tel\":\"13900000000\",\"x\":1}", "sub_msg": "ok"}"#;
        let masked = mask(body);
        assert!(!masked.contains("13900000000"), "{masked}");
        assert!(masked.contains(r#"\"x\":1"#), "{masked}");
        let cut = r#"{"code": 1, "refresh_token": "rt-abcdef"#;
        assert!(!mask(cut).contains("rt-abc"), "{}", mask(cut));
        let cut_nested = r#"{"receiver": {"phone": "13"#;
        assert!(!mask(cut_nested).contains("13"));
    }

    #[test]
    fn form_pairs_lose_their_values() {
        let body = "method=x&session=s-123&receiver_phone=13700000000&tid=9";
        let masked = mask(body);
        assert_eq!(masked, "method=x&session=***&receiver_phone=***&tid=9");
        assert_eq!(
            mask("收货人电话13912345678有误, tid 4012345678901234567, at 1701234567890"),
            "收货人电话1**********有误, tid 4012345678901234567, at 1701234567890"
        );
        assert!(matches!(mask("nothing to hide"), Cow::Borrowed(_)));
    }
}
