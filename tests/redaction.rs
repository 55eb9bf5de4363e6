//! Failing calls show no credential and no buyer data: not in the error's text, not in its
//! `Debug`, not in the logs; and the generated `Debug` of data marked `pii` masks it.

mod common;

use opengate_apis::{taobao, youzan, ClientExt};
use opengate_mock::{Fault, FaultKind};

/// What the bodies below carry and no error may show.
const LEAKS: &[&str] = &[
    "13800138000",
    "at-LEAK-1",
    "rt-LEAK-2",
    "文三路",
    "tb-buyer-LEAK",
];

const BODY: &str = r#"{"receiver_mobile": "13800138000", "access_token": "at-LEAK-1", "refresh_token": "rt-LEAK-2", "receiver_address": {"detail": "西湖区文三路 1 号"}, "buyer_nick": "tb-buyer-LEAK", "hint": "kept"}"#;

fn body(status: u16, body: &str) -> FaultKind {
    FaultKind::Body {
        status,
        body: body.to_owned(),
    }
}

#[tokio::test]
async fn failing_calls_show_no_credential_or_buyer_data() {
    let logs = common::Captured::install();
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    let mut errors = Vec::new();

    // An HTTP 500 whose body is JSON full of secrets (every attempt of the retries).
    mock.inject(Fault {
        api: Some("taobao.item.seller.get".into()),
        kind: body(500, BODY),
        times: 10,
    });
    let err = client
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, opengate::Error::HttpStatus { status: 500, .. }),
        "{err:?}"
    );
    errors.push(err);

    // A 200 whose data cannot be read as the spec's type (`tid` is a long), beside buyer data.
    mock.inject(Fault {
        api: Some("taobao.trade.fullinfo.get".into()),
        kind: body(
            200,
            r#"{"trade_fullinfo_get_response": {"trade": {"receiver_mobile": "13800138000", "buyer_nick": "tb-buyer-LEAK", "tid": {"not": "a number"}}}}"#,
        ),
        times: 10,
    });
    let err = client
        .taobao()
        .trade_fullinfo_get_v2_0(taobao::trade_fullinfo_get_v2_0::Request::new("tid", 1))
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    errors.push(err);

    // Youzan's token endpoint failing with a body that is not JSON but holds a token and a
    // phone number: the call fails with an auth error quoting the body.
    mock.inject(Fault {
        api: Some("youzan.auth.token".into()),
        kind: body(
            502,
            "<html>upstream said: access_token=at-LEAK-1&receiver_mobile=13800138000</html>",
        ),
        times: 10,
    });
    let err = client
        .youzan()
        .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        matches!(err, opengate::Error::Auth { .. })
            && shown.contains("upstream said: access_token=***&receiver_mobile=***"),
        "the token endpoint's body is quoted, masked: {shown}"
    );
    errors.push(err);

    // A platform error whose message quotes what it refused: a phone and the session, in the
    // error's text, its `Debug` and the retry's INFO log.
    mock.inject(Fault {
        api: Some("taobao.trades.sold.get".into()),
        kind: body(
            200,
            r#"{"error_response": {"code": 15, "msg": "Remote service error", "sub_code": "isv.invalid-parameter", "sub_msg": "手机号13800138000无效; session: at-LEAK-1 refused", "request_id": "r1"}}"#,
        ),
        times: 10,
    });
    let err = client
        .taobao()
        .trades_sold_get_v2_0(taobao::trades_sold_get_v2_0::Request::new("tid"))
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("手机号1**********无效; session: *** refused"),
        "the message is kept, masked: {shown}"
    );
    errors.push(err);

    let mut rendered = String::new();
    for e in &errors {
        rendered.push_str(&format!("{e}\n{e:?}\n"));
    }
    rendered.push_str(&logs.text());
    // The excerpts are there, with what is not sensitive.
    assert!(rendered.contains(r#""hint": "kept""#), "{rendered}");
    assert!(
        rendered.contains(r#""receiver_mobile": "***""#),
        "{rendered}"
    );
    for leak in LEAKS {
        assert!(
            !rendered.contains(leak),
            "`{leak}` leaked into:\n{rendered}"
        );
    }
}

#[test]
fn generated_debug_masks_pii_fields() {
    let mut trade = taobao::trade_fullinfo_get_v2_0::ResponseTrade::default();
    trade.buyer_nick = Some("tb-buyer-LEAK".into());
    trade.receiver_state = Some("浙江省".into());
    trade.status = Some("WAIT_SELLER_SEND_GOODS".into());
    let shown = format!("{trade:?}");
    assert!(shown.contains("buyer_nick: ***"), "{shown}");
    assert!(
        !shown.contains("tb-buyer-LEAK") && !shown.contains("浙江省"),
        "{shown}"
    );
    assert!(
        shown.contains("WAIT_SELLER_SEND_GOODS"),
        "the rest is shown: {shown}"
    );
}
