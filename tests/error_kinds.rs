//! Every platform's error answers fall into the same kinds (`opengate::ErrorKind`), so a caller
//! need not know each platform's codes; the bodies are the platforms' documented envelopes.

mod common;

use opengate::platform::alibaba::Aop;
use opengate::platform::doudian::{Doudian, DoudianSignMethod};
use opengate::platform::douyin::Douyin;
use opengate::platform::taobao::{Taobao, TaobaoSignMethod};
use opengate::platform::youzan::Youzan;
use opengate::protocol::Protocol;
use opengate::{ApiDesc, AuthKind, Error, ErrorKind, HttpMethod};
use opengate_apis::{taobao, ClientExt};
use opengate_mock::{Fault, FaultKind};

fn api(platform: &str) -> ApiDesc {
    ApiDesc::new(
        platform,
        "x.y.get",
        "1",
        HttpMethod::Post,
        "https://example.invalid",
        "",
        "",
        AuthKind::User,
        true,
        Vec::new(),
    )
}

/// The kind `protocol` gives the answer `status` + `body`.
fn kind(protocol: &dyn Protocol, status: u16, body: &str) -> ErrorKind {
    let json: serde_json::Value = serde_json::from_str(body).expect("test bodies are JSON");
    match protocol.interpret(&api("p"), status, &json) {
        Err(failure) => failure.kind,
        Ok(at) => panic!("{body}: read as a success at {at:?}"),
    }
}

#[test]
fn taobao_codes() {
    let top = Taobao::new("k", "s", TaobaoSignMethod::Md5);
    let e = |code: &str, sub: &str| {
        format!(
            r#"{{"error_response":{{"code":{code},"msg":"m","sub_code":"{sub}","sub_msg":"x"}}}}"#
        )
    };
    let cases = [
        (e("27", "invalid-sessionkey"), ErrorKind::TokenRejected),
        (e("26", ""), ErrorKind::TokenRejected),
        (
            e("7", "accesscontrol.limited-by-app-access-count"),
            ErrorKind::RateLimited,
        ),
        (
            e("15", "isp.top-remote-connection-timeout"),
            ErrorKind::PlatformDown,
        ),
        (e("25", ""), ErrorKind::SignatureRejected),
        (e("29", ""), ErrorKind::SignatureRejected),
        (
            e("31", "isv.invalid-timestamp"),
            ErrorKind::SignatureRejected,
        ),
        (e("11", ""), ErrorKind::PermissionDenied),
        (e("40", "isv.missing-parameter"), ErrorKind::InvalidParams),
        (
            e("15", "isv.invalid-parameter:num_iid"),
            ErrorKind::InvalidParams,
        ),
        (e("15", "isv.item-not-exist"), ErrorKind::Other),
    ];
    for (body, want) in cases {
        assert_eq!(kind(&top, 200, &body), want, "{body}");
    }
}

#[test]
fn youzan_codes() {
    let gw = |code: u32| {
        format!(r#"{{"gw_err_resp":{{"trace_id":"t","err_msg":"m","err_code":{code}}}}}"#)
    };
    for (code, want) in [
        (4202, ErrorKind::TokenRejected),
        (4203, ErrorKind::TokenRejected),
        (4101, ErrorKind::RateLimited),
        (4204, ErrorKind::PermissionDenied),
        (4005, ErrorKind::Other),
    ] {
        assert_eq!(kind(&Youzan, 200, &gw(code)), want, "{code}");
    }
    let business = r#"{"trace_id":"t","success":false,"code":141500101,"message":"订单不存在"}"#;
    assert_eq!(kind(&Youzan, 200, business), ErrorKind::Other);
}

#[test]
fn alibaba_codes() {
    let aop = Aop::new("1", "s");
    let e = |code: &str| format!(r#"{{"error_code":"{code}","error_message":"m"}}"#);
    for (status, code, want) in [
        (400, "gw.QosAppFrequencyLimit", ErrorKind::RateLimited),
        (400, "gw.SignatureInvalid", ErrorKind::SignatureRejected),
        (401, "gw.AppKeyNotExist", ErrorKind::SignatureRejected),
        (400, "gw.TimestampInvalid", ErrorKind::SignatureRejected),
        (400, "gw.MissingParameter", ErrorKind::InvalidParams),
        (401, "gw.AccessTokenInvalid", ErrorKind::TokenRejected),
        (500, "gw.InternalError", ErrorKind::PlatformDown),
        (400, "biz.OrderNotFound", ErrorKind::Other),
    ] {
        assert_eq!(kind(&aop, status, &e(code)), want, "{code}");
    }
}

#[test]
fn douyin_codes() {
    let e = |code: u32| {
        format!(
            r#"{{"data":{{"error_code":{code},"description":"m"}},"extra":{{"error_code":{code},"description":"m"}}}}"#
        )
    };
    for (code, want) in [
        (10008, ErrorKind::TokenRejected),
        (2190008, ErrorKind::TokenRejected),
        (2100004, ErrorKind::RateLimited),
        (28001003, ErrorKind::Other),
    ] {
        assert_eq!(kind(&Douyin, 200, &e(code)), want, "{code}");
    }
}

#[test]
fn doudian_codes() {
    let dd = Doudian::new("k", "s", DoudianSignMethod::Md5);
    let e = |code: u32, sub: &str| {
        format!(r#"{{"code":{code},"msg":"m","sub_code":"{sub}","sub_msg":"x","data":null}}"#)
    };
    for (code, sub, want) in [
        (40003, "isv.access-token-expired", ErrorKind::TokenRejected),
        (60000, "isv.rate-limit", ErrorKind::RateLimited),
        (20000, "isp.service-error", ErrorKind::PlatformDown),
        (40004, "isv.signature-invalid", ErrorKind::SignatureRejected),
        (40001, "isv.timestamp-invalid", ErrorKind::SignatureRejected),
        (40001, "isv.parameter-invalid", ErrorKind::InvalidParams),
        (
            30002,
            "isv.ip-not-in-whitelist",
            ErrorKind::PermissionDenied,
        ),
        (50002, "isv.business-failed:订单不存在", ErrorKind::Other),
    ] {
        assert_eq!(kind(&dd, 200, &e(code, sub)), want, "{code} {sub}");
    }
}

/// End to end: what the mock answers comes back with its kind, and an HTTP status has one too.
#[tokio::test]
async fn a_failed_call_says_its_kind() {
    let mock = common::mock().await;
    let call = |client: opengate::Client| async move {
        client
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
            .await
            .unwrap_err()
    };
    let e = call(common::client(&mock, &[("taobao", "session", "not-mine")])).await;
    assert_eq!(e.kind(), Some(ErrorKind::TokenRejected), "{e}");
    let e = call(common::client(&mock, &[("taobao", "app_secret", "WRONG")])).await;
    assert_eq!(e.kind(), Some(ErrorKind::SignatureRejected), "{e}");

    let client = common::client(&mock, &[]);
    mock.inject(Fault {
        api: Some("taobao.item.seller.get".into()),
        kind: FaultKind::Status { status: 503 },
        times: 10,
    });
    let e = call(client.clone()).await;
    assert_eq!(e.kind(), Some(ErrorKind::PlatformDown), "{e}");
    mock.inject(Fault {
        api: Some("taobao.item.seller.get".into()),
        kind: FaultKind::Body {
            status: 200,
            body: r#"{"error_response":{"code":40,"msg":"Missing required arguments:num_iid","sub_code":"isv.missing-parameter"}}"#.into(),
        },
        times: 1,
    });
    // The 503s are used up by the retries above; this answer is the next.
    let e = loop {
        let e = call(client.clone()).await;
        if !matches!(e, Error::HttpStatus { .. }) {
            break e;
        }
    };
    assert_eq!(e.kind(), Some(ErrorKind::InvalidParams), "{e}");
    assert_eq!(
        e.api_error().map(|a| a.kind),
        Some(ErrorKind::InvalidParams)
    );
}

/// A transport failure keeps its cause as the error's source, and says it once.
#[tokio::test]
async fn a_transport_error_keeps_its_cause() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = opengate::Config::from_toml(common::CONFIG, "test").unwrap();
    config.set("taobao", "base_url", format!("http://127.0.0.1:{port}"));
    let client = config
        .client_builder()
        .unwrap()
        .retry(opengate::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let e = client
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert!(e.is_transport(), "{e:?}");
    let source = std::error::Error::source(&e).expect("the transport's error is the source");
    let cause = source.to_string();
    assert!(cause.starts_with("cannot connect:"), "{cause}");
    assert!(!e.to_string().contains(&cause), "said once: {e}");
    assert_eq!(e.kind(), None);
}
