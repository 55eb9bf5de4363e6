//! Every built-in signer against the public vectors, plus edge cases.

use opengate::platform::alibaba::Aop;
use opengate::platform::doudian::{canonical_json, Doudian, DoudianSignMethod};
use opengate::platform::taobao::{Taobao, TaobaoSignMethod};
use serde_json::{json, Value};

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors-public.json"
    ))
    .expect("vectors file");
    serde_json::from_str(&text).expect("vectors are JSON")
}

fn pairs(params: &Value) -> Vec<(String, String)> {
    params
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}

#[test]
fn taobao_vectors() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v["platform"] == "taobao_top") {
        let method = TaobaoSignMethod::parse(v["algorithm"].as_str().unwrap()).unwrap();
        let got = Taobao::sign(
            v["secret"].as_str().unwrap(),
            method,
            &pairs(&v["params"]),
            None,
        );
        assert_eq!(got, v["expected_signature"], "vector {}", v["id"]);
        n += 1;
    }
    assert!(n >= 4);
}

#[test]
fn aop_vectors() {
    let v = vectors()
        .into_iter()
        .find(|v| v["platform"] == "alibaba_1688_aop")
        .unwrap();
    let got = Aop::sign(
        v["secret"].as_str().unwrap(),
        v["extra"]["url_path"].as_str().unwrap(),
        &pairs(&v["params"]),
    );
    assert_eq!(got, v["expected_signature"]);
}

#[test]
fn aop_sorts_concatenations_not_keys() {
    // `ab`+`c` = "abc" sorts before `a`+`z` = "az": the key `ab` comes first.
    let p = |a: &[(&str, &str)]| {
        a.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    let forward = Aop::sign("s", "param2/1/ns/n/1", &p(&[("a", "z"), ("ab", "c")]));
    let backward = Aop::sign("s", "param2/1/ns/n/1", &p(&[("ab", "c"), ("a", "z")]));
    assert_eq!(forward, backward);
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"s").unwrap();
    mac.update(b"param2/1/ns/n/1abcaz");
    assert_eq!(forward, hex::encode_upper(mac.finalize().into_bytes()));
}

#[test]
fn doudian_vectors() {
    for v in vectors()
        .iter()
        .filter(|v| v["platform"] == "doudian" && v["algorithm"] != "push-event-sign-md5")
    {
        let canonical = canonical_json(&v["params"]["param_json"]);
        assert_eq!(
            canonical, v["extra"]["canonical_param_json"],
            "vector {}",
            v["id"]
        );
        let method = DoudianSignMethod::parse(v["algorithm"].as_str().unwrap()).unwrap();
        let p = &v["params"];
        let got = Doudian::sign(
            v["secret"].as_str().unwrap(),
            method,
            p["app_key"].as_str().unwrap(),
            p["method"].as_str().unwrap(),
            &canonical,
            p["timestamp"].as_str().unwrap(),
        );
        assert_eq!(got, v["expected_signature"], "vector {}", v["id"]);
    }
}

#[test]
fn doudian_canonical_doc_flavour() {
    // The worked example of the protocol notes (vector #21's canonical form).
    let input = json!({"plain_text":"&<>='/ô汉😀","qty":3.0,"nested":{"z":1,"a":[{"y":"中","b":null},2,"x"]},"nullfield":null,
        "Upper":"u","_u":"_","auth_id":"12345","is_support_index":false,"price":12.5,"sensitive_type":2});
    assert_eq!(
        canonical_json(&input),
        r#"{"Upper":"u","_u":"_","auth_id":"12345","is_support_index":false,"nested":{"a":[{"y":"中"},2,"x"],"z":1},"plain_text":"&<>='/ô汉😀","price":12.5,"qty":3,"sensitive_type":2}"#
    );
    assert_eq!(
        canonical_json(&json!({"s": "a\u{2028}b\n\u{1}"})),
        "{\"s\":\"a\\u2028b\\n\\u0001\"}"
    );
    assert_eq!(
        canonical_json(&json!([1e15, 0.0001, 1234567.5, 2.5e7])),
        "[1000000000000000,1.0E-4,1234567.5,25000000]"
    );
}

fn md5_upper(s: &str) -> String {
    use md5::Digest;
    hex::encode_upper(md5::Md5::digest(s.as_bytes()))
}

#[test]
fn taobao_edge_cases() {
    let p = |a: &[(&str, &str)]| {
        a.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    // Chinese, reserved URL characters, spaces and emoji are signed raw (never URL-encoded).
    let params = p(&[("title", "测试 & = + % 😀"), ("b", "1")]);
    assert_eq!(
        Taobao::sign("sec", TaobaoSignMethod::Md5, &params, None),
        md5_upper("secb1title测试 & = + % 😀sec")
    );
    // Blank values (empty, spaces, tabs) are skipped; U+00A0 is not blank in Java.
    let params = p(&[("a", ""), ("b", "  \t"), ("c", "\u{a0}"), ("d", "x")]);
    assert_eq!(
        Taobao::sign("sec", TaobaoSignMethod::Md5, &params, None),
        md5_upper("secc\u{a0}dxsec")
    );
    // Nested JSON is signed as its text.
    let params = p(&[("obj", r#"{"k":[1,2]}"#)]);
    assert_eq!(
        Taobao::sign("sec", TaobaoSignMethod::Md5, &params, None),
        md5_upper(r#"secobj{"k":[1,2]}sec"#)
    );
    // Java (UTF-16) order: an astral key sorts before U+FF21.
    let params = p(&[("\u{FF21}", "1"), ("\u{1F600}", "2")]);
    assert_eq!(
        Taobao::sign("sec", TaobaoSignMethod::Md5, &params, None),
        md5_upper("sec\u{1F600}2\u{FF21}1sec")
    );
    // A raw body is appended after the params.
    assert_eq!(
        Taobao::sign(
            "sec",
            TaobaoSignMethod::Md5,
            &p(&[("a", "1")]),
            Some("<x/>")
        ),
        md5_upper("seca1<x/>sec")
    );
}
