//! Typed data is read while the body is parsed, where the protocol guesses it is, with the
//! envelope captured on the way (`src/read.rs`). These answers make the guess wrong, or make the
//! data refuse a value, and check that what the caller gets is still decided by the envelope.

use opengate::platform::alibaba::Aop;
use opengate::platform::doudian::{Doudian, DoudianSignMethod};
use opengate::platform::douyin::Douyin;
use opengate::platform::taobao::{Taobao, TaobaoSignMethod};
use opengate::platform::youzan::Youzan;
use opengate::token::StaticToken;
use opengate::wire::{BoxFuture, Transport, TransportError, WireRequest, WireResponse};
use opengate::{Client, Error, PlatformOptions};
use opengate_apis::{alibaba, doudian, douyin, taobao, youzan, ClientExt};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Answers every request with one fixed body.
#[derive(Debug)]
struct Canned(String);

impl Transport for Canned {
    fn send(
        &self,
        _request: WireRequest,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<WireResponse, TransportError>> {
        Box::pin(async move { Ok(WireResponse::new(200, self.0.clone().into_bytes())) })
    }
}

fn client(platform: &str, body: &str) -> Client {
    let protocol: Arc<dyn opengate::Protocol> = match platform {
        "youzan" => Arc::new(Youzan),
        "taobao" => Arc::new(Taobao::new("key", "secret", TaobaoSignMethod::Md5)),
        "alibaba" => Arc::new(Aop::new("key", "secret")),
        "doudian" => Arc::new(Doudian::new("key", "secret", DoudianSignMethod::Md5)),
        _ => Arc::new(Douyin),
    };
    Client::builder()
        .transport(Arc::new(Canned(body.to_owned())))
        .platform(
            platform,
            protocol,
            PlatformOptions {
                user_token: Some(Arc::new(StaticToken::new(platform, "token"))),
                ..PlatformOptions::default()
            },
        )
        .build()
        .unwrap()
}

fn express() -> youzan::logistics_expressbyorderno_get_v3_0_0::Request {
    youzan::logistics_expressbyorderno_get_v3_0_0::Request::new("E1")
}

#[tokio::test]
async fn youzan_data_inside_a_response_wrapper_is_read_on_a_second_pass() {
    // Youzan's guess is the whole body; this answer wraps it in `response`.
    let c = client(
        "youzan",
        r#"{"response": {"code": 200, "success": true, "data": {"nu": "4300000000001", "state": "3"}}}"#,
    );
    let r = c
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express())
        .await
        .unwrap();
    let data = r.data.as_ref().unwrap();
    assert_eq!(data.nu.as_deref(), Some("4300000000001"));
    assert_eq!(data.state, Some(3));
    assert_eq!(r.code, Some(200));
}

#[tokio::test]
async fn a_platform_error_wins_over_data_that_does_not_fit() {
    // `code` cannot be an integer, but the gateway error says what happened.
    let c = client(
        "youzan",
        r#"{"code": "not a number", "gw_err_resp": {"err_code": 4001, "err_msg": "bad", "trace_id": "t-1"}}"#,
    );
    match c
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express())
        .await
    {
        Err(Error::Api(e)) => {
            assert_eq!(e.code, "4001");
            assert_eq!(e.request_id.as_deref(), Some("t-1"));
        }
        other => panic!("expected the gateway error, got {other:?}"),
    }
}

#[tokio::test]
async fn data_that_does_not_fit_a_successful_answer_is_a_decode_error_with_its_path() {
    let c = client(
        "youzan",
        r#"{"success": true, "code": 200, "data": {"id": "12x"}}"#,
    );
    match c
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express())
        .await
    {
        Err(Error::Decode(d)) => {
            assert_eq!(d.api.name, "youzan.logistics.expressbyorderno.get");
            assert_eq!(d.path, "data.id");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn douyin_codes_inside_the_data_are_seen_by_the_protocol() {
    // The data member is read into the typed response and its `error_code` still reaches the protocol.
    let c = client(
        "douyin",
        r#"{"data": {"error_code": 2190008, "description": "access_token expired"}, "extra": {"logid": "L1"}}"#,
    );
    let req = douyin::alliance_kol_store_list_v1::Request::new("open-id", 1, 10);
    match c.douyin().alliance_kol_store_list_v1(req).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.code, "2190008");
            assert_eq!(e.request_id.as_deref(), Some("L1"));
        }
        other => panic!("expected the platform error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_raw_body_stays_reachable() {
    let body = r#"{"success": true, "code": 200, "data": {"nu": "1"}, "extra_field": [1, 2]}"#;
    let c = client("youzan", body);
    let r = c
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express())
        .await
        .unwrap();
    assert_eq!(r.raw_bytes(), body.as_bytes());
    assert_eq!(r.raw()["extra_field"][1], 2);
}

/// JSON-ish text from pieces these answers are made of, often broken.
fn answer() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("null".to_owned()),
        Just("\"data\"".to_owned()),
        Just("\"response\"".to_owned()),
        Just("\"gw_err_resp\"".to_owned()),
        Just("\"error_code\"".to_owned()),
        Just("\"error_response\"".to_owned()),
        Just("\"trade_fullinfo_get_response\"".to_owned()),
        Just("\"trade\"".to_owned()),
        Just("\"code\"".to_owned()),
        Just("\"sub_code\"".to_owned()),
        Just("\"msg\"".to_owned()),
        Just("\"extra\"".to_owned()),
        Just("\"success\"".to_owned()),
        Just("\"nu\"".to_owned()),
        Just("\"state\"".to_owned()),
        Just("\"created_time\"".to_owned()),
        "-?[0-9]{1,25}(\\.[0-9]{1,5})?".prop_map(|s| s),
        "\"[^\"\\\\]{0,8}\"".prop_map(|s| s),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn no_answer_panics_the_client(body in answer()) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let _ = client("youzan", &body).youzan().logistics_expressbyorderno_get_v3_0_0(express()).await;
            let req = douyin::alliance_kol_store_list_v1::Request::new("o", 1, 10);
            let _ = client("douyin", &body).douyin().alliance_kol_store_list_v1(req).await;
            let req = taobao::trade_fullinfo_get_v2_0::Request::new("tid,orders", 1);
            let _ = client("taobao", &body).taobao().trade_fullinfo_get_v2_0(req).await;
            let req = alibaba::product_get_v1::Request::new(1, "1688");
            let _ = client("alibaba", &body).alibaba().product_get_v1(req).await;
            let req = doudian::order_order_detail_v2::Request::new("1");
            let _ = client("doudian", &body).doudian().order_order_detail_v2(req).await;
        });
    }
}
