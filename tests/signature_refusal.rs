//! A refused signature explains itself: the mock's answer and request log carry the string it
//! signed, and the client logs its own at trace level, both with secrets masked the same way, so
//! that the two can be compared instead of guessed at.

mod common;

use opengate_apis::{taobao, ClientExt};

const WRONG: &str = "WRONG-secret-XYZ";

#[tokio::test]
async fn the_mock_and_the_client_show_the_same_string_to_sign() {
    let logs = common::Captured::install();
    let mock = common::mock().await;
    for platform in ["taobao", "alibaba", "doudian"] {
        mock.clear_requests();
        let client = common::client(&mock, &[(platform, "app_secret", WRONG)]);
        // Doudian's token.create is signed too: it is the call refused.
        let refused = common::signed_call(&client, platform).await;
        assert!(refused.is_err(), "{platform}: the wrong secret is refused");
        let seen = mock.requests();
        let record = seen
            .iter()
            .find(|r| r.string_to_sign.is_some())
            .unwrap_or_else(|| panic!("{platform}: no refusal in the log: {seen:?}"));
        let mock_side = record.string_to_sign.as_deref().unwrap();
        let client_side = logs.text();
        assert!(
            client_side.contains(&format!("string_to_sign={mock_side}")),
            "{platform}: the mock signed\n{mock_side}\nthe client logged\n{client_side}"
        );
        // Neither side shows a secret: not the app's, not the session, not a token.
        for secret in [
            WRONG,
            "tb-secret-XYZ",
            "tb-session-XYZ",
            "aop-token-XYZ",
            "dd-secret-XYZ",
        ] {
            assert!(!mock_side.contains(secret), "{platform}: {mock_side}");
            assert!(
                !client_side.contains(secret),
                "{platform}: {secret} in the logs"
            );
        }
        assert!(mock_side.contains("***"), "{platform}: {mock_side}");
    }
}

/// The answer itself carries the explanation, beside the platform's envelope, which the client
/// still reads as the platform's error.
#[tokio::test]
async fn the_refusal_answer_carries_what_the_mock_signed() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[("taobao", "app_secret", WRONG)]);
    let e = client
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(opengate::ErrorKind::SignatureRejected));
    let record = mock.requests().pop().unwrap();
    let shown = record.string_to_sign.unwrap();
    // TOP md5: the secret on both ends, then the sorted pairs; the session masked.
    assert!(shown.starts_with("***app_key12345678"), "{shown}");
    assert!(shown.ends_with("v2.0***"), "{shown}");
    assert!(shown.contains("session***"), "{shown}");
    assert!(shown.contains("methodtaobao.item.seller.get"), "{shown}");
}
