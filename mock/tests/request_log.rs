//! The request log is bounded in bytes as well as in count, and keeps no credential unless the
//! config asks it to (`[mock] log_secrets = true`).

use opengate_mock::{MockGateway, MockHandle};
use std::path::Path;

const CONFIG: &str =
    "[taobao]\napp_key = \"12345678\"\napp_secret = \"mock-secret\"\nsession = \"sess-1\"\n";

async fn start(mock_table: &str) -> MockHandle {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    MockGateway::new(&specs, &format!("{CONFIG}\n[mock]\n{mock_table}\n"))
        .expect("the mock loads the specs")
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("the mock binds a loopback port")
}

async fn post(mock: &MockHandle, query: &str, body: impl Into<reqwest::Body>) {
    reqwest::Client::new()
        .post(format!("{}/router/rest?{query}", mock.base_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the mock answers");
}

#[tokio::test]
async fn the_log_keeps_the_newest_requests_within_its_bytes() {
    let mock =
        start("request_log = 1000\nrequest_log_bytes = 1000000\nmax_body_bytes = 4000000").await;
    // 40 bodies of 200 KB: 8 MB sent, 1 MB kept.
    for i in 0..40 {
        let body = format!("{i:02}{}", "x".repeat(200_000 - 2));
        post(&mock, "method=taobao.time.get", body).await;
    }
    let log = mock.requests();
    let kept: usize = log.iter().map(|r| r.body.len()).sum();
    assert!(kept <= 1_000_000, "{kept} bytes of bodies kept");
    assert_eq!(log.len(), 4, "the newest four fit");
    assert!(log.last().unwrap().body.starts_with("39"));
    assert_eq!(mock.requests_seen(), 40);

    // A body larger than the whole log is kept cut to fit, alone.
    post(&mock, "method=taobao.time.get", "y".repeat(3_000_000)).await;
    let log = mock.requests();
    assert_eq!(log.len(), 1);
    assert!(log[0].body.len() <= 1_000_000 && log[0].body.starts_with('y'));
}

#[tokio::test]
async fn credentials_are_masked_in_the_log_unless_kept() {
    let query = "method=taobao.item.seller.get&session=sess-1&sign=ABCDEF&app_key=12345678";
    let body = r#"{"client_secret":"app-secret-1","refresh_token":"rt-1","receiver_mobile":"13800138000","num_iid":1}"#;
    let masked = start("").await;
    post(&masked, query, body).await;
    let record = masked.requests().pop().unwrap();
    let value = |name: &str| {
        record
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(value("session").as_deref(), Some("***"));
    assert_eq!(value("sign").as_deref(), Some("***"));
    assert_eq!(value("app_key").as_deref(), Some("12345678"));
    for secret in ["app-secret-1", "rt-1", "13800138000", "sess-1", "ABCDEF"] {
        let text = serde_json::to_string(&record).unwrap();
        assert!(!text.contains(secret), "`{secret}` in the log: {text}");
    }
    assert!(record.body.contains("\"num_iid\":1"), "{}", record.body);

    let keeping = start("log_secrets = true").await;
    post(&keeping, query, body).await;
    let record = keeping.requests().pop().unwrap();
    assert!(record.query.contains(&("session".into(), "sess-1".into())));
    assert_eq!(record.body, body);
}
