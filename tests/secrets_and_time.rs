//! Secrets stay out of Debug output and logs; Taobao timestamps are Beijing time whatever TZ says.

mod common;

use opengate::token::{FileStore, Token, TokenStore};
use opengate_apis::{taobao, youzan, ClientExt};

#[tokio::test]
async fn no_secret_in_debug_or_logs() {
    let logs = common::Captured::install();

    // The log keeps what the client sent, to look for it in the client's logs.
    let mock =
        common::mock_with(&format!("{}\n[mock]\nlog_secrets = true\n", common::CONFIG)).await;
    let client = common::client(&mock, &[]);
    // A successful Youzan call (token in the URL) and a failing Taobao call (wrong session).
    client
        .youzan()
        .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
        .await
        .unwrap();
    let bad = common::client(&mock, &[("taobao", "session", "tb-bad-session-XYZ")]);
    let err = bad
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().code, "27");

    let token = client
        .token("youzan", opengate::AuthKind::User)
        .await
        .unwrap();
    let rendered = format!(
        "{:?}\n{:?}\n{:?}\n{}\n{:?}\n{}",
        client,
        common::config_for(&mock, &[]),
        token,
        err,
        err,
        logs.text()
    );
    assert!(
        rendered.contains("opengate.call") && rendered.contains("platform error"),
        "tracing output was captured:\n{rendered}"
    );
    let mut secrets: Vec<String> = [
        "yz-secret-XYZ",
        "tb-secret-XYZ",
        "tb-session-XYZ",
        "tb-bad-session-XYZ",
        "aop-secret-XYZ",
        "aop-token-XYZ",
        "dy-secret-XYZ",
        "act.dy-user-XYZ",
        "dd-secret-XYZ",
    ]
    .map(String::from)
    .to_vec();
    secrets.push(token.access_token.expose().to_owned());
    secrets.extend(token.refresh_token.as_ref().map(|t| t.expose().to_owned()));
    // The signatures the client sent.
    for r in mock.requests() {
        secrets.extend(
            r.query
                .iter()
                .filter(|(k, _)| k == "sign" || k == "access_token")
                .map(|(_, v)| v.clone()),
        );
    }
    for s in &secrets {
        assert!(
            !rendered.contains(s.as_str()),
            "`{s}` leaked into:\n{rendered}"
        );
    }
}

#[test]
fn beijing_timestamps_whatever_the_zone() {
    // This test binary does nothing else, so changing TZ here affects no other test.
    std::env::set_var("TZ", "America/New_York");
    let now = std::time::SystemTime::now();
    let secs = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let expected = chrono::DateTime::from_timestamp(secs + 8 * 3600, 0)
        .unwrap()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert_eq!(opengate::beijing_timestamp(now), expected);

    // And the mock, which checks the UTC+8 window of 10 minutes, accepts a real call.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mock = common::mock().await;
        let client = common::client(&mock, &[]);
        client
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
            .await
            .unwrap();
        let sent = mock.requests()[0]
            .query
            .iter()
            .find(|(k, _)| k == "timestamp")
            .unwrap()
            .1
            .clone();
        assert_eq!(
            &sent[..13],
            &expected[..13],
            "sent {sent}, Beijing now {expected}"
        );
    });
}

#[tokio::test]
async fn file_store_survives_a_crash_between_refresh_and_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = FileStore::new(&path);
    let first = Token {
        access_token: "a1".into(),
        refresh_token: Some("r1".into()),
        expires_at_ms: Some(1),
    };
    store.swap("youzan/app/user", 0, &first).await.unwrap();
    // A writer killed mid-write leaves a torn temporary file next to the store, never a torn store.
    std::fs::write(
        dir.path().join(".tokens.json.tmp999"),
        b"{\"youzan/app/user\": {\"access_tok",
    )
    .unwrap();
    assert_eq!(
        FileStore::new(&path)
            .load("youzan/app/user")
            .await
            .unwrap()
            .map(|s| s.token),
        Some(first)
    );

    // Through the client: the rotated refresh token is on disk before the call that got it returns.
    let mock = common::mock().await;
    let client = common::config_for(&mock, &[("client", "token_file", path.to_str().unwrap())])
        .client_builder()
        .unwrap()
        .build()
        .unwrap();
    client
        .youzan()
        .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
        .await
        .unwrap();
    mock.expire_tokens();
    client
        .youzan()
        .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
        .await
        .unwrap();
    // "Crash": drop the client without any shutdown, and start over from the file alone.
    drop(client);
    let saved = FileStore::new(&path)
        .load("youzan/yz-client/42587152/user")
        .await
        .unwrap()
        .expect("token saved")
        .token;
    assert!(saved.refresh_token.is_some());
    mock.expire_tokens();
    let reborn = common::config_for(&mock, &[("client", "token_file", path.to_str().unwrap())])
        .client_builder()
        .unwrap()
        .build()
        .unwrap();
    reborn
        .youzan()
        .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
        .await
        .expect("the saved refresh token is still the live one");
    assert_eq!(
        mock.tokens_issued("youzan"),
        3,
        "silent grant, refresh, refresh from the file"
    );
}
