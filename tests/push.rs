//! Push rules of each platform against the public vectors and signatures computed here with
//! the hash crates directly; the receiver's dedup, ack and refusal behaviour; and a property
//! test that no bytes make it panic.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use opengate::platform::alibaba::AopPush;
use opengate::platform::doudian::DoudianPush;
use opengate::platform::douyin::DouyinPush;
use opengate::platform::youzan::YouzanPush;
use opengate::push::{Answer, Delivery, Opened, Push, PushRules, Receiver, Refusal};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Public vector 16 (`push-event-sign-md5`, Youzan).
const YZ_CLIENT_ID: &str = "cid123";
const YZ_SECRET: &str = "csecret456";
const YZ_BODY: &str = r#"{"client_id":"cid123","id":"E20240101000000000000001","kdt_id":55,"kdt_name":"测试店","mode":1,"msg":"%7B%22tid%22%3A%22E2024%22%7D","sendCount":0,"sign":"x","status":"TRADE_PAID","test":false,"type":"trade_TradePaid","version":1700000000}"#;
const YZ_SIGN: &str = "eb1506e3f76f868205da44492be50e9b";

/// Public vector 28 (`push-event-sign-md5`, Doudian).
const DD_APP_KEY: &str = "7000000000000000001";
const DD_SECRET: &str = "00000000-1111-2222-3333-444444444444";
const DD_BODY: &str = r#"[{"tag":"100","msg_id":"123","data":"{\"p_id\":1}"}]"#;
const DD_SIGN: &str = "8615cdfb20e084d90011652b1e755daf";

fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn open(rules: &dyn PushRules, h: &http::HeaderMap, body: &[u8]) -> Result<Opened, Refusal> {
    rules.open(&Delivery {
        headers: h,
        query: None,
        body,
    })
}

fn messages(o: Result<Opened, Refusal>) -> Vec<Push> {
    match o {
        Ok(Opened::Messages(m)) => m,
        other => panic!("expected messages, got {other:?}"),
    }
}

fn youzan(secret: &str) -> YouzanPush {
    YouzanPush::new("youzan", YZ_CLIENT_ID, secret.into())
}

/// A copy of `s` with byte `at` changed.
fn flip(s: &str, at: usize) -> Vec<u8> {
    let mut b = s.as_bytes().to_vec();
    b[at] ^= 0x01;
    b
}

#[test]
fn youzan_event_sign_vector_holds_and_any_one_byte_change_fails() {
    let h = headers(&[("Event-Sign", YZ_SIGN), ("Client-Id", YZ_CLIENT_ID)]);
    let m = messages(open(&youzan(YZ_SECRET), &h, YZ_BODY.as_bytes()));
    assert_eq!(m.len(), 1);
    let p = &m[0];
    assert_eq!(p.kind, "trade_TradePaid");
    assert_eq!(p.id, "E20240101000000000000001");
    assert_eq!(p.shop.as_deref(), Some("55"));
    assert_eq!(
        p.key,
        "55:trade_TradePaid:E20240101000000000000001:TRADE_PAID:1700000000"
    );
    assert!(!p.test);
    // `msg` arrives URL-encoded: the payload is the JSON it encodes.
    assert_eq!(&p.payload[..], br#"{"tid":"E2024"}"#);
    // The signature's case does not matter.
    let upper = headers(&[("Event-Sign", &YZ_SIGN.to_ascii_uppercase())]);
    messages(open(&youzan(YZ_SECRET), &upper, YZ_BODY.as_bytes()));
    // A push naming another app is refused, signed or not.
    let other = headers(&[("Event-Sign", YZ_SIGN), ("Client-Id", "another-app")]);
    assert_eq!(
        open(&youzan(YZ_SECRET), &other, YZ_BODY.as_bytes()).unwrap_err(),
        Refusal::OtherApp("Client-Id")
    );

    for at in [0, 10, YZ_BODY.len() / 2, YZ_BODY.len() - 1] {
        let r = open(&youzan(YZ_SECRET), &h, &flip(YZ_BODY, at));
        assert_eq!(
            r.unwrap_err(),
            Refusal::BadSignature("Event-Sign"),
            "byte {at}"
        );
    }
    let bad_header = headers(&[(
        "Event-Sign",
        std::str::from_utf8(&flip(YZ_SIGN, 5)).unwrap(),
    )]);
    assert!(open(&youzan(YZ_SECRET), &bad_header, YZ_BODY.as_bytes()).is_err());
    let bad_secret = std::str::from_utf8(&flip(YZ_SECRET, 0)).unwrap().to_owned();
    assert!(open(&youzan(&bad_secret), &h, YZ_BODY.as_bytes()).is_err());
}

#[test]
fn youzan_legacy_in_body_sign_holds_and_fails_on_a_changed_msg() {
    let msg = "%7B%22tid%22%3A%22E1%22%2C%22note%22%3A%22a+b%22%7D";
    let sign = hex::encode(Md5::digest(format!("{YZ_CLIENT_ID}{msg}{YZ_SECRET}")));
    let body = format!(
        r#"{{"client_id":"{YZ_CLIENT_ID}","id":"E1","kdt_id":7,"msg":"{msg}","sign":"{sign}","status":"WAIT","test":true,"type":"trade_TradeCreate","version":5}}"#
    );
    let none = headers(&[]);
    let m = messages(open(&youzan(YZ_SECRET), &none, body.as_bytes()));
    assert_eq!(&m[0].payload[..], br#"{"tid":"E1","note":"a b"}"#);
    assert!(m[0].test);
    let forged = body.replace("%22E1%22", "%22E2%22");
    assert_eq!(
        open(&youzan(YZ_SECRET), &none, forged.as_bytes()).unwrap_err(),
        Refusal::BadSignature("sign")
    );
    // Only `msg` is signed: the same `msg` with another shop, status and version is the same
    // message (one dedup key), and a push naming another app is refused.
    let replayed = body
        .replace(r#""kdt_id":7"#, r#""kdt_id":8"#)
        .replace(r#""status":"WAIT""#, r#""status":"PAID""#)
        .replace(r#""version":5"#, r#""version":6"#);
    let again = messages(open(&youzan(YZ_SECRET), &none, replayed.as_bytes()));
    assert_eq!(again[0].key, m[0].key);
    // (The signature is over our client_id: the body's `client_id` is not signed.)
    let other = body.replace(
        &format!(r#""client_id":"{YZ_CLIENT_ID}""#),
        r#""client_id":"another-app""#,
    );
    assert_eq!(
        open(&youzan(YZ_SECRET), &none, other.as_bytes()).unwrap_err(),
        Refusal::OtherApp("client_id")
    );
    // Neither header nor in-body sign: unsigned, whatever the body.
    for body in [&b"{}"[..], b"not json", b""] {
        assert_eq!(
            open(&youzan(YZ_SECRET), &none, body).unwrap_err(),
            Refusal::Unsigned("Event-Sign")
        );
    }
}

fn doudian(secret: &str) -> DoudianPush {
    DoudianPush::new("doudian", DD_APP_KEY, secret.into())
}

#[test]
fn doudian_event_sign_vector_holds_and_any_one_byte_change_fails() {
    let h = headers(&[("event-sign", DD_SIGN), ("app-id", DD_APP_KEY)]);
    let m = messages(open(&doudian(DD_SECRET), &h, DD_BODY.as_bytes()));
    let other = headers(&[("event-sign", DD_SIGN), ("app-id", "7000000000000000999")]);
    assert_eq!(
        open(&doudian(DD_SECRET), &other, DD_BODY.as_bytes()).unwrap_err(),
        Refusal::OtherApp("app-id")
    );
    assert_eq!((m[0].kind.as_str(), m[0].id.as_str()), ("100", "123"));
    assert_eq!(m[0].key, "100:123");
    assert_eq!(&m[0].payload[..], br#"{"p_id":1}"#);
    for at in 0..DD_BODY.len() {
        assert!(
            open(&doudian(DD_SECRET), &h, &flip(DD_BODY, at)).is_err(),
            "byte {at}"
        );
    }
    let bad = std::str::from_utf8(&flip(DD_SECRET, 3)).unwrap().to_owned();
    assert!(open(&doudian(&bad), &h, DD_BODY.as_bytes()).is_err());
    assert_eq!(
        open(&doudian(DD_SECRET), &headers(&[]), DD_BODY.as_bytes()).unwrap_err(),
        Refusal::Unsigned("event-sign")
    );
}

fn doudian_signed(body: &str) -> http::HeaderMap {
    let sign = hex::encode(Md5::digest(format!("{DD_APP_KEY}{body}{DD_SECRET}")));
    headers(&[("event-sign", &sign)])
}

#[test]
fn doudian_batches_keep_order_big_ids_exact_and_the_ping_is_a_handshake() {
    let body = r#"[{"tag":"101","msg_id":"7300000000000000001","data":"{\"shop_id\":123456789012345678,\"p_id\":\"1\"}"},{"tag":"105","msg_id":7300000000000000002,"data":"{}"}]"#;
    let m = messages(open(
        &doudian(DD_SECRET),
        &doudian_signed(body),
        body.as_bytes(),
    ));
    let ids: Vec<&str> = m.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["7300000000000000001", "7300000000000000002"]);
    assert_eq!(m[0].shop.as_deref(), Some("123456789012345678"));
    let ping = r#"[{"tag":"0","msg_id":"","data":"{}"}]"#;
    match open(&doudian(DD_SECRET), &doudian_signed(ping), ping.as_bytes()) {
        Ok(Opened::Handshake(a)) => assert_eq!(&a.body[..], br#"{"code":0,"msg":"success"}"#),
        other => panic!("{other:?}"),
    }
}

#[test]
fn douyin_signature_and_the_verify_webhook_challenge() {
    let secret = "dysecret";
    let rules = DouyinPush::new("douyin", secret.into());
    let sign = |body: &str| hex::encode(sha1::Sha1::digest(format!("{secret}{body}")));
    let body =
        r#"{"event":"verify_webhook","client_key":"ck","content":{"challenge":12345678901234567}}"#;
    match open(
        &rules,
        &headers(&[("X-Douyin-Signature", &sign(body))]),
        body.as_bytes(),
    ) {
        Ok(Opened::Handshake(a)) => {
            assert_eq!(a.status, 200);
            assert_eq!(&a.body[..], br#"{"challenge":12345678901234567}"#);
        }
        other => panic!("{other:?}"),
    }
    let body = r#"{"event":"create_order","from_user_id":"ou_1","content":"{\"order_id\":\"5000000000000000001\"}"}"#;
    let h = headers(&[("X-Douyin-Signature", &sign(body)), ("Msg-Id", "m-1")]);
    let m = messages(open(&rules, &h, body.as_bytes()));
    assert_eq!(
        (m[0].kind.as_str(), m[0].id.as_str()),
        ("create_order", "m-1")
    );
    // The dedup key is signed content: a replay that rewrites the unsigned `Msg-Id` header is
    // the same message, and so is a retry with another `log_id`; another user's is not.
    let replayed = headers(&[("X-Douyin-Signature", &sign(body)), ("Msg-Id", "m-2")]);
    let again = messages(open(&rules, &replayed, body.as_bytes()));
    assert_eq!(again[0].key, m[0].key);
    let retry = body.replacen('{', r#"{"log_id":"L2","#, 1);
    let h = headers(&[("X-Douyin-Signature", &sign(&retry)), ("Msg-Id", "m-1")]);
    assert_eq!(
        messages(open(&rules, &h, retry.as_bytes()))[0].key,
        m[0].key
    );
    let other = body.replace("ou_1", "ou_2");
    let h = headers(&[("X-Douyin-Signature", &sign(&other)), ("Msg-Id", "m-1")]);
    assert_ne!(
        messages(open(&rules, &h, other.as_bytes()))[0].key,
        m[0].key
    );
    assert_eq!(&m[0].payload[..], br#"{"order_id":"5000000000000000001"}"#);
    let wrong = headers(&[("X-Douyin-Signature", &sign("x")), ("Msg-Id", "m-1")]);
    assert_eq!(
        open(&rules, &wrong, body.as_bytes()).unwrap_err(),
        Refusal::BadSignature("X-Douyin-Signature")
    );
}

#[test]
fn alibaba_signature_has_no_url_path_and_reads_the_legacy_message() {
    let secret = "aopsecret";
    let rules = AopPush::new("alibaba", secret.into());
    let sign = |params: &[(&str, &str)]| {
        let mut pieces: Vec<String> = params.iter().map(|(k, v)| format!("{k}{v}")).collect();
        pieces.sort();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(pieces.concat().as_bytes());
        hex::encode_upper(mac.finalize().into_bytes())
    };
    let params = [
        ("msgId", "90000000000000001"),
        ("type", "ORDER_BUYER_VIEW_BUYER_MAKE"),
        ("data", r#"{"orderId":1}"#),
        ("userInfo", "b2b-1"),
        ("gmtBorn", "1700000000000"),
    ];
    let s = sign(&params);
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .append_pair("_aop_signature", &s)
        .finish();
    let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
    let m = messages(open(&rules, &form, body.as_bytes()));
    assert_eq!(m[0].id, "90000000000000001");
    assert_eq!(m[0].shop.as_deref(), Some("b2b-1"));
    assert_eq!(&m[0].payload[..], br#"{"orderId":1}"#);
    let tampered = body.replace("b2b-1", "b2b-2");
    assert_eq!(
        open(&rules, &form, tampered.as_bytes()).unwrap_err(),
        Refusal::BadSignature("_aop_signature")
    );
    // The legacy form: one `message` param holding the fields as JSON.
    let message = r#"{"msgId":5,"type":"T","data":{"a":1},"userInfo":"u"}"#;
    let s = sign(&[("message", message)]);
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("message", message)
        .append_pair("_aop_signature", &s)
        .finish();
    let m = messages(rules.open(&Delivery {
        headers: &form,
        query: Some(&query),
        body: b"",
    }));
    assert_eq!((m[0].id.as_str(), m[0].kind.as_str()), ("5", "T"));
    assert_eq!(&m[0].payload[..], br#"{"a":1}"#);
}

#[test]
fn debug_of_a_push_and_a_delivery_shows_no_payload_or_signature() {
    let h = headers(&[("Event-Sign", YZ_SIGN)]);
    let m = messages(open(&youzan(YZ_SECRET), &h, YZ_BODY.as_bytes()));
    let shown = format!(
        "{:?} {:?}",
        m[0],
        Delivery {
            headers: &h,
            query: None,
            body: YZ_BODY.as_bytes()
        }
    );
    assert!(!shown.contains("E2024\""), "{shown}");
    assert!(!shown.contains(YZ_SIGN), "{shown}");
    assert!(!format!("{:?}", youzan(YZ_SECRET)).contains(YZ_SECRET));
}

// ------------------------------------------------------------------ the receiver

/// A handler that records what it handled and fails the first `fail` calls.
#[derive(Clone, Default)]
struct Recorder {
    handled: Arc<Mutex<Vec<String>>>,
    calls: Arc<AtomicUsize>,
    fail: usize,
}

impl Recorder {
    fn receiver(&self, rules: Arc<dyn PushRules>) -> Receiver {
        let me = self.clone();
        Receiver::builder(rules).build(move |push: Push| {
            let me = me.clone();
            async move {
                let n = me.calls.fetch_add(1, Ordering::SeqCst);
                if n < me.fail {
                    return Err(format!("failure {n}"));
                }
                me.handled.lock().unwrap().push(push.id.clone());
                Ok(())
            }
        })
    }
}

fn json_headers(extra: &[(&str, &str)]) -> http::HeaderMap {
    let mut h = headers(extra);
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h
}

async fn deliver(r: &Receiver, h: &http::HeaderMap, body: &[u8]) -> Answer {
    r.receive(Delivery {
        headers: h,
        query: None,
        body,
    })
    .await
}

#[tokio::test]
async fn a_failed_handler_gets_the_failure_answer_and_the_redelivery_is_handled_once() {
    let rec = Recorder {
        fail: 1,
        ..Recorder::default()
    };
    let r = rec.receiver(Arc::new(doudian(DD_SECRET)));
    let h = json_headers(&[("event-sign", DD_SIGN)]);
    let first = deliver(&r, &h, DD_BODY.as_bytes()).await;
    assert_eq!(&first.body[..], br#"{"code":1,"msg":"fail"}"#);
    let second = deliver(&r, &h, DD_BODY.as_bytes()).await;
    assert_eq!(&second.body[..], br#"{"code":0,"msg":"success"}"#);
    // A duplicate after success: acked, not handled.
    let third = deliver(&r, &h, DD_BODY.as_bytes()).await;
    assert_eq!(third, second);
    assert_eq!(*rec.handled.lock().unwrap(), ["123"]);
    assert_eq!(rec.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn concurrent_duplicates_are_handled_once_and_the_busy_one_is_redelivered() {
    let handled = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Notify::new());
    let r = {
        let (handled, gate) = (handled.clone(), gate.clone());
        Receiver::builder(Arc::new(doudian(DD_SECRET))).build(move |_push: Push| {
            let (handled, gate) = (handled.clone(), gate.clone());
            async move {
                gate.notified().await;
                handled.fetch_add(1, Ordering::SeqCst);
                Ok::<(), std::io::Error>(())
            }
        })
    };
    let h = json_headers(&[("event-sign", DD_SIGN)]);
    let first = {
        let (r, h) = (r.clone(), h.clone());
        tokio::spawn(async move { deliver(&r, &h, DD_BODY.as_bytes()).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let busy = deliver(&r, &h, DD_BODY.as_bytes()).await;
    assert_eq!(&busy.body[..], br#"{"code":1,"msg":"fail"}"#);
    gate.notify_one();
    assert_eq!(
        &first.await.unwrap().body[..],
        br#"{"code":0,"msg":"success"}"#
    );
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_panicking_or_hanging_handler_fails_the_message_and_the_receiver_goes_on() {
    let calls = Arc::new(AtomicUsize::new(0));
    let r = {
        let calls = calls.clone();
        Receiver::builder(Arc::new(doudian(DD_SECRET)))
            .handler_timeout(Duration::from_millis(100))
            .build(move |_push: Push| {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => panic!("handler bug"),
                        1 => std::future::pending::<()>().await,
                        _ => {}
                    }
                    Ok::<(), std::io::Error>(())
                }
            })
    };
    let h = json_headers(&[("event-sign", DD_SIGN)]);
    for expected in [
        &br#"{"code":1,"msg":"fail"}"#[..],
        br#"{"code":1,"msg":"fail"}"#,
        br#"{"code":0,"msg":"success"}"#,
    ] {
        assert_eq!(
            &deliver(&r, &h, DD_BODY.as_bytes()).await.body[..],
            expected
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn refusals_have_their_status_and_never_reach_the_handler() {
    let rec = Recorder::default();
    let r = rec.receiver(Arc::new(doudian(DD_SECRET)));
    let cases: [(http::HeaderMap, Vec<u8>, u16); 5] = [
        (json_headers(&[]), DD_BODY.into(), 401),
        (
            json_headers(&[("event-sign", &"0".repeat(32))]),
            DD_BODY.into(),
            401,
        ),
        (
            headers(&[("event-sign", DD_SIGN), ("content-type", "text/html")]),
            DD_BODY.into(),
            415,
        ),
        (headers(&[("event-sign", DD_SIGN)]), DD_BODY.into(), 415),
        (
            json_headers(&[("event-sign", DD_SIGN)]),
            vec![b'['; 3 << 20],
            413,
        ),
    ];
    for (h, body, status) in cases {
        let a = deliver(&r, &h, &body).await;
        assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
    }
    // Signed but not Doudian's shape: 400.
    let body = r#"{"tag":"100"}"#;
    let mut h = doudian_signed(body);
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let a = deliver(&r, &h, body.as_bytes()).await;
    assert_eq!(a.status, 400);
    assert_eq!(rec.calls.load(Ordering::SeqCst), 0);
}

fn all_rules() -> Vec<Arc<dyn PushRules>> {
    vec![
        Arc::new(youzan(YZ_SECRET)),
        Arc::new(doudian(DD_SECRET)),
        Arc::new(DouyinPush::new("douyin", "s".into())),
        Arc::new(AopPush::new("alibaba", "s".into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random bodies, signatures and content types: refused with a 4xx status, never a panic,
    /// never a handler call.
    #[test]
    fn random_deliveries_are_refused_without_a_panic(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        sign in "[0-9a-fA-F]{0,40}",
        content_type in prop_oneof![
            Just("application/json"),
            Just("application/x-www-form-urlencoded"),
            Just("text/plain"),
            Just(""),
        ],
        which in 0usize..4,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let rec = Recorder::default();
        let r = rec.receiver(all_rules()[which].clone());
        let mut h = headers(&[
            ("event-sign", &sign),
            ("x-douyin-signature", &sign),
            ("msg-id", "1"),
        ]);
        if !content_type.is_empty() {
            h.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
        }
        let query = format!("_aop_signature={sign}");
        let a = rt.block_on(r.receive(Delivery { headers: &h, query: Some(&query), body: &body }));
        prop_assert!((400..500).contains(&a.status), "status {}", a.status);
        prop_assert_eq!(rec.calls.load(Ordering::SeqCst), 0);
    }
}
