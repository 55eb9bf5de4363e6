//! Every platform through the generated methods against the mock gateway on 127.0.0.1.

mod common;

use opengate::{AuthKind, Error, RetryPolicy};
use opengate_apis::{alibaba, doudian, douyin, taobao, youzan, ClientExt};
use opengate_mock::{Fault, FaultKind};
use std::time::Duration;

#[tokio::test]
async fn one_verified_call_per_platform() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);

    let r = client
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(
            youzan::logistics_expressbyorderno_get_v3_0_0::Request::new("E1"),
        )
        .await
        .unwrap();
    assert_eq!(
        r.data.as_ref().unwrap().nu.as_deref(),
        Some("4300000000001")
    );
    assert_eq!(r.success, Some(true));

    let r = client
        .taobao()
        .trade_fullinfo_get_v2_0(taobao::trade_fullinfo_get_v2_0::Request::new(
            "tid,payment",
            42,
        ))
        .await
        .unwrap();
    let trade = r.trade.as_ref().unwrap();
    assert_eq!(trade.payment.unwrap().to_string(), "128.50");
    assert_eq!(trade.orders.as_ref().unwrap().order.len(), 1);
    assert!(
        r.raw().get("trade_fullinfo_get_response").is_some(),
        "raw JSON stays reachable"
    );

    let r = client
        .alibaba()
        .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
        .await
        .unwrap();
    assert_eq!(r.product_info.as_ref().unwrap().product_id, Some(1001));

    let r = client
        .douyin()
        .alliance_kol_store_list_v1(douyin::alliance_kol_store_list_v1::Request::new(
            "oid", 1, 20,
        ))
        .await
        .unwrap();
    // A paged API: a page of the mock's data set (`[mock] page_items`, default 3).
    assert_eq!(r.products.len(), 3);
    let r = client
        .douyin()
        .alliance_product_skus_v1(douyin::alliance_product_skus_v1::Request::new("p1"))
        .await
        .unwrap();
    assert_eq!(r.skus.len(), 1);
    let r = client
        .douyin()
        .ecom_captain_task_detail_v1(douyin::ecom_captain_task_detail_v1::Request::new("t1"))
        .await
        .unwrap();
    assert_eq!(r.task_id.as_deref(), Some("task_id-1"));

    let r = client
        .doudian()
        .order_search_list_v2(doudian::order_search_list_v2::Request::new(0, 10).order_status(2))
        .await
        .unwrap();
    assert_eq!(r.shop_order_list.len(), 3, "a page of the mock's data set");

    let reqs = mock.requests();
    assert!(
        reqs.iter().all(|r| r.verified),
        "every call verified: {reqs:#?}"
    );
    // Douyin: the user token in the header, open_id in the query, the rest in a JSON body.
    let store = reqs
        .iter()
        .find(|r| r.api.as_deref() == Some("alliance.kol.store.list"))
        .unwrap();
    assert!(store.query.contains(&("open_id".into(), "oid".into())));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&store.body).unwrap(),
        serde_json::json!({"page": 1, "page_size": 20})
    );
    // Youzan: one token fetch served both the token-needing call.
    assert_eq!(mock.tokens_issued("youzan"), 1);
    assert_eq!(
        mock.tokens_issued("douyin"),
        1,
        "one client_token for two client-token calls"
    );
    assert_eq!(
        mock.tokens_issued("doudian"),
        1,
        "token.create once for the shop"
    );
}

#[tokio::test]
async fn wrong_secret_gives_the_platforms_code() {
    let mock = common::mock().await;
    let cases: [(&str, &str); 3] = [
        ("taobao", "25"),
        ("alibaba", "gw.SignatureInvalid"),
        ("doudian", "40004"),
    ];
    for (platform, code) in cases {
        let client = common::client(&mock, &[(platform, "app_secret", "WRONG")]);
        let err = common::signed_call(&client, platform).await.unwrap_err();
        let e = match (platform, &err) {
            // Doudian's token.create is itself signed: the wrong secret fails there first.
            ("doudian", Error::Auth { message, .. }) => {
                assert!(message.contains("40004"), "{message}");
                continue;
            }
            (_, Error::Api(e)) => e,
            other => panic!("{platform}: expected an API error, got {other:?}"),
        };
        assert_eq!(e.code, code, "{platform}");
        assert_eq!(e.api.platform, platform);
    }
}

#[tokio::test]
async fn youzan_missing_token_and_forged_token_are_rejected() {
    let mock = common::mock().await;
    let http = reqwest_free_post(&mock, "/api/youzan.shop.get/3.0.0?access_token=forged").await;
    assert_eq!(http["gw_err_resp"]["err_code"], 4203);
    let http = reqwest_free_post(&mock, "/api/youzan.shop.get/3.0.0").await;
    assert_eq!(http["gw_err_resp"]["err_code"], 4201);
}

/// A raw POST with `{}` through the client's own transport (no signing, no token).
async fn reqwest_free_post(mock: &opengate_mock::MockHandle, path: &str) -> serde_json::Value {
    use opengate::wire::{Body, ReqwestTransport, Transport, WireRequest};
    let t = ReqwestTransport::new(
        std::time::Duration::from_secs(2),
        opengate::wire::DEFAULT_MAX_BODY,
    )
    .unwrap();
    let req = WireRequest {
        method: opengate::HttpMethod::Post,
        url: format!("{}{path}", mock.base_url()).parse().unwrap(),
        headers: vec![],
        body: Body::Bytes {
            content_type: "application/json".into(),
            bytes: "{}".into(),
        },
    };
    let resp = t
        .send(req, std::time::Duration::from_secs(2))
        .await
        .unwrap();
    serde_json::from_slice(&resp.body).unwrap()
}

#[tokio::test]
async fn expired_token_refreshes_once_and_retries() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    let shop = || {
        client
            .youzan()
            .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
    };
    shop().await.unwrap();
    mock.expire_tokens();
    mock.clear_requests();
    shop().await.unwrap();
    let reqs = mock.requests();
    let codes: Vec<_> = reqs
        .iter()
        .map(|r| (r.api.clone().unwrap_or_default(), r.error.clone()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("youzan.shop.get".into(), Some("4202".into())),
            ("youzan.auth.token".into(), None),
            ("youzan.shop.get".into(), None)
        ],
        "rejected, one refresh (with the refresh token), one retry"
    );
    assert!(
        reqs[1].body.contains("\"refresh_token\""),
        "refreshed with the refresh token grant"
    );
    assert_eq!(client.token_fetches("youzan", AuthKind::User), 2);
}

#[tokio::test]
async fn hundred_concurrent_calls_on_an_expired_token_refresh_once() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    client
        .youzan()
        .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
        .await
        .unwrap();
    mock.expire_tokens();
    let issued_before = mock.tokens_issued("youzan");
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move {
            c.youzan()
                .shop_get_v3_0_0(youzan::shop_get_v3_0_0::Request::new())
                .await
        })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(
        mock.tokens_issued("youzan") - issued_before,
        1,
        "exactly one refresh request"
    );
    let refreshes = mock
        .requests()
        .iter()
        .filter(|r| r.api.as_deref() == Some("youzan.auth.token"))
        .count();
    assert_eq!(refreshes, 2, "the first token and the single refresh");
}

#[tokio::test]
async fn rate_limited_answer_backs_off_then_succeeds() {
    let mock = common::mock().await;
    // Taobao says how long the ban lasts (1 s here): the client waits at least that long.
    let client = common::config_for(&mock, &[])
        .client_builder()
        .unwrap()
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(2),
            retry_non_idempotent: false,
        })
        .build()
        .unwrap();
    for (platform, api) in [
        ("taobao", "taobao.item.seller.get"),
        ("alibaba", "alibaba.product.get"),
    ] {
        let started = std::time::Instant::now();
        mock.clear_requests();
        mock.inject(Fault {
            api: Some(api.into()),
            kind: FaultKind::RateLimit,
            times: 1,
        });
        let ok = match platform {
            "taobao" => client
                .taobao()
                .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
                .await
                .is_ok(),
            _ => client
                .alibaba()
                .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
                .await
                .is_ok(),
        };
        assert!(ok, "{platform} succeeds after backoff");
        assert_eq!(
            mock.requests().len(),
            2,
            "{platform}: limited, then retried"
        );
        if platform == "taobao" {
            assert!(
                started.elapsed() >= Duration::from_secs(1),
                "the ban was waited out"
            );
        }
    }
}

#[tokio::test]
async fn a_ban_longer_than_any_backoff_is_returned_at_once() {
    // The test client backs off at most 50 ms; Taobao's 1 s ban would outlast every retry.
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    mock.inject(Fault {
        api: Some("taobao.item.seller.get".into()),
        kind: FaultKind::RateLimit,
        times: 1,
    });
    let e = client
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert_eq!(e.api_error().map(|a| a.code.as_str()), Some("7"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(mock.requests().len(), 1, "no retry while banned");
}

#[tokio::test]
async fn server_errors_are_retried_only_when_idempotent() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    mock.inject(Fault {
        api: Some("taobao.item.seller.get".into()),
        kind: FaultKind::Status { status: 502 },
        times: 10,
    });
    let err = client
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(
        mock.requests().len(),
        3,
        "a read is retried up to max_attempts"
    );

    mock.clear_requests();
    mock.inject(Fault {
        api: Some("alliance.store.add".into()),
        kind: FaultKind::Status { status: 503 },
        times: 10,
    });
    let req = douyin::alliance_store_add_v1::Request::new(
        "oid",
        vec![douyin::alliance_store_add_v1::RequestProductsItem::new(
            "p1",
        )],
    );
    let err = client
        .douyin()
        .alliance_store_add_v1(req)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
    let adds = mock
        .requests()
        .iter()
        .filter(|r| r.api.as_deref() == Some("alliance.store.add"))
        .count();
    assert_eq!(adds, 1, "a write that reached the server is not resent");
}

#[tokio::test]
async fn timeout_reset_truncated_and_malformed_answers_are_typed_errors() {
    let mock = common::mock().await;
    let client = common::config_for(&mock, &[])
        .client_builder()
        .unwrap()
        .timeout(std::time::Duration::from_millis(300))
        .retry(opengate::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let call = || {
        client
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
    };
    let api = Some("taobao.item.seller.get".to_owned());

    mock.inject(Fault {
        api: api.clone(),
        kind: FaultKind::Latency { ms: 1500 },
        times: 1,
    });
    assert!(call().await.unwrap_err().is_timeout());

    mock.inject(Fault {
        api: api.clone(),
        kind: FaultKind::Reset,
        times: 1,
    });
    let e = call().await.unwrap_err();
    assert!(e.is_transport(), "{e:?}");

    mock.inject(Fault {
        api: api.clone(),
        kind: FaultKind::Truncate,
        times: 1,
    });
    let e = call().await.unwrap_err();
    assert!(e.is_transport(), "{e:?}");

    mock.inject(Fault {
        api,
        kind: FaultKind::Malformed,
        times: 1,
    });
    let e = call().await.unwrap_err();
    match &e {
        Error::Decode(d) => assert_eq!(d.api.name, "taobao.item.seller.get"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    call()
        .await
        .expect("the client still works after every fault");
}

#[tokio::test]
async fn douyin_user_token_is_refreshed_with_the_refresh_token() {
    // The mock knows the configured refresh token but never issued `act.stale`: it answers 10008,
    // the client refreshes once with the refresh token and retries.
    let config = common::CONFIG.replace(
        "[douyin]\n",
        "[douyin]\nrefresh_token = \"rft.configured\"\n",
    );
    let mock = common::mock_with(&config).await;
    let client = common::client(
        &mock,
        &[
            ("douyin", "access_token", "act.stale"),
            ("douyin", "refresh_token", "rft.configured"),
        ],
    );
    let r = client
        .douyin()
        .alliance_kol_reputation_v1(douyin::alliance_kol_reputation_v1::Request::new("oid"))
        .await
        .unwrap();
    assert_eq!(r.score, Some(1.5));
    let trail: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.error.clone()))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("/alliance/kol/reputation/".into(), Some("10008".into())),
            ("/oauth/refresh_token/".into(), None),
            ("/alliance/kol/reputation/".into(), None)
        ]
    );
    assert_eq!(client.token_fetches("douyin", AuthKind::User), 2);
}

#[tokio::test]
async fn taobao_upload_sends_the_file_as_multipart_and_signs_the_rest() {
    // The mock parses the multipart body, checks the signature over every text param (system
    // params in the query, business params in the parts) and not over the file, and requires
    // the file part.
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    let png = b"\x89PNG\r\n\x1a\n image bytes \r\n--not-a-boundary".to_vec();
    let r = client
        .taobao()
        .picture_upload_v2_0(
            taobao::picture_upload_v2_0::Request::new(
                0,
                opengate::File::new("主图.png", "image/png", png.clone()),
                "主图.png",
            )
            .title("春季 新款 & 促销"),
        )
        .await
        .unwrap();
    assert!(r.picture.as_ref().is_some_and(|p| p.picture_id.is_some()));
    let recorded = mock.requests();
    let upload = recorded.last().unwrap();
    assert!(upload.verified, "{upload:?}");
    assert_eq!(upload.api.as_deref(), Some("taobao.picture.upload"));
    assert!(
        upload.body.contains(r#"name="img"; filename="主图.png""#),
        "{}",
        upload.body
    );
    assert!(upload.body.contains("image bytes \r\n--not-a-boundary"));
    assert!(upload.body.contains("春季 新款 & 促销"));

    // Without the file the gateway names the missing argument.
    let e = client
        .taobao()
        .picture_upload_v2_0(taobao::picture_upload_v2_0::Request::new(
            0,
            opengate::File::new("empty.png", "image/png", Vec::new()),
            "empty.png",
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("img"), "{e}");
}

#[tokio::test]
async fn youzan_upload_sends_the_file_as_multipart_with_the_token_in_the_url() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    let r = client
        .youzan()
        .materials_storage_platform_img_upload_v3_0_0(
            youzan::materials_storage_platform_img_upload_v3_0_0::Request::new(
                opengate::File::new("logo.png", "image/png", b"\x89PNG logo".to_vec()),
            ),
        )
        .await
        .unwrap();
    assert!(r.data.as_ref().is_some_and(|d| d.image_url.is_some()));
    let recorded = mock.requests();
    let upload = recorded.last().unwrap();
    assert!(upload.verified, "{upload:?}");
    assert!(upload.query.iter().any(|(k, _)| k == "access_token"));
    assert!(
        upload.body.contains(r#"name="image"; filename="logo.png""#),
        "{}",
        upload.body
    );
}

#[tokio::test]
async fn alibaba_token_is_refreshed_with_the_refresh_token() {
    // The mock knows the configured refresh token but never issued `aop.stale`: it answers 401,
    // the client refreshes once at system.oauth2/getToken and retries; later calls use the new
    // token, and once it expires the refresh token that came with it.
    let config = common::CONFIG.replace(
        "[alibaba]\n",
        "[alibaba]\nrefresh_token = \"aop-refresh-XYZ\"\n",
    );
    let mock = common::mock_with(&config).await;
    let client = common::client(
        &mock,
        &[
            ("alibaba", "access_token", "aop.stale"),
            ("alibaba", "refresh_token", "aop-refresh-XYZ"),
        ],
    );
    let call = || {
        client
            .alibaba()
            .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
    };
    call().await.unwrap();
    call().await.unwrap();
    mock.expire_tokens();
    call().await.unwrap();
    let trail: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.error.clone()))
        .collect();
    let token_path = "/openapi/http/1/system.oauth2/getToken/1234567".to_owned();
    let api_path = "/openapi/param2/1/com.alibaba.product/alibaba.product.get/1234567".to_owned();
    assert_eq!(
        trail,
        vec![
            (api_path.clone(), Some("gw.AccessTokenInvalid".into())),
            (token_path.clone(), None),
            (api_path.clone(), None),
            (api_path.clone(), None),
            (api_path.clone(), Some("gw.AccessTokenInvalid".into())),
            (token_path, None),
            (api_path, None),
        ]
    );
    assert_eq!(client.token_fetches("alibaba", AuthKind::User), 3);
}

#[tokio::test]
async fn doudian_expired_token_is_refreshed_with_token_refresh() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    client
        .doudian()
        .product_detail_v2(doudian::product_detail_v2::Request::new().product_id("1"))
        .await
        .unwrap();
    mock.expire_tokens();
    mock.clear_requests();
    client
        .doudian()
        .product_detail_v2(doudian::product_detail_v2::Request::new().product_id("1"))
        .await
        .unwrap();
    let trail: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| (r.api.clone().unwrap_or_default(), r.error.clone()))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("product.detail".into(), Some("40003".into())),
            ("token.refresh".into(), None),
            ("product.detail".into(), None)
        ],
        "isv.access-token-expired -> token.refresh -> retry"
    );
}

#[tokio::test]
async fn client_side_rate_limit_spaces_calls() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[("taobao", "qps", "20")]);
    let started = std::time::Instant::now();
    for _ in 0..6 {
        client
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
            .await
            .unwrap();
    }
    // Six calls at 20 QPS need at least five 50 ms gaps (a lower bound only: nothing here is timed).
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_api_limit_spaces_that_api_only() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[("taobao", "api_qps", "taobao.item.seller.get=10")]);
    let started = std::time::Instant::now();
    for _ in 0..4 {
        client
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
            .await
            .unwrap();
    }
    // Four calls at 10 QPS need three 100 ms gaps (a lower bound only).
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let bad = common::config_for(&mock, &[("taobao", "api_qps", "taobao.item.seller.get")])
        .client_builder()
        .unwrap_err();
    assert!(bad.to_string().contains("api_qps"), "{bad}");
}

/// A rate under one call a year is a configuration error, not a panic (`1e-19` calls a second
/// put the next slot beyond what an `Instant` holds).
#[tokio::test]
async fn a_rate_too_small_to_wait_for_is_refused() {
    let mock = common::mock().await;
    for (key, value) in [
        ("qps", "1e-19"),
        ("qps", "0"),
        ("api_qps", "taobao.item.seller.get=1e-19"),
    ] {
        let e = common::config_for(&mock, &[("taobao", key, value)])
            .client_builder()
            .and_then(|b| b.build())
            .unwrap_err();
        assert!(
            matches!(e, opengate::Error::Config(_)),
            "{key}={value}: {e}"
        );
        assert!(e.to_string().contains("at least one a year"), "{e}");
    }
}

#[test]
fn decode_errors_name_the_api_and_the_field_path() {
    let api = &taobao::trade_fullinfo_get_v2_0::API;
    let body = serde_json::json!({"trade_fullinfo_get_response": {"trade": {"tid": 1, "orders": {"order": [{"oid": 1, "price": "12.x"}]}}}});
    let raw = opengate::RawReply::new(
        200,
        body.to_string(),
        opengate::protocol::DataAt::Member("trade_fullinfo_get_response".into()),
    );
    match opengate::decode::<taobao::trade_fullinfo_get_v2_0::Response>(api, raw) {
        Err(Error::Decode(d)) => {
            assert_eq!(d.api.name, "taobao.trade.fullinfo.get");
            assert_eq!(d.path, "trade.orders.order[0].price");
            assert!(d.message.contains("12.x"), "{}", d.message);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// Two platform folders of one protocol (two Youzan apps, `shop_a` and `shop_b`): each gets its
/// tokens with its own table's keys, the mock keeps them apart, and a token of one is refused
/// on the other's API.
#[tokio::test]
async fn two_platforms_of_one_protocol_keep_their_own_keys_and_tokens() {
    let specs = tempfile::tempdir().unwrap();
    for (platform, api) in [
        ("shop_a", "youzan.a.fixture.get"),
        ("shop_b", "youzan.b.fixture.get"),
    ] {
        let dir = specs.path().join(platform);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("platform.yaml"),
            format!("platform: {platform}\nprotocol: youzan\nhosts:\n  default: https://open.youzanyun.com\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join("fixture.yaml"),
            format!("name: {api}\nversion: 3.0.0\nsummary: fixture\nauth: user\nmethod: POST\nparams:\n  - {{name: id, type: long, required: true}}\nresponse:\n  code: long\n  data: {{id: long}}\n"),
        )
        .unwrap();
    }
    let config = "[shop_a]\nclient_id = \"ca\"\nclient_secret = \"sa\"\ngrant_id = \"1\"\n\n[shop_b]\nclient_id = \"cb\"\nclient_secret = \"sb\"\ngrant_id = \"2\"\n";
    let mock = opengate_mock::MockGateway::new(specs.path(), config)
        .unwrap()
        .start(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let mut cfg = opengate::Config::from_toml(config, "test").unwrap();
    for p in ["shop_a", "shop_b"] {
        cfg.set(p, "base_url", mock.base_url());
    }
    let client = cfg
        .client_builder_for(&[("shop_a", "youzan"), ("shop_b", "youzan")])
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.platforms(), ["shop_a", "shop_b"]);
    let params = [opengate::protocol::Param {
        name: "id".into(),
        value: serde_json::json!(7),
        location: opengate::ParamLocation::Default,
    }];
    for (platform, api) in [
        ("shop_a", "youzan.a.fixture.get"),
        ("shop_b", "youzan.b.fixture.get"),
    ] {
        let desc = opengate::ApiDesc::new(
            platform,
            api,
            "3.0.0",
            opengate::HttpMethod::Post,
            "https://open.youzanyun.com",
            "",
            "",
            AuthKind::User,
            false,
            Vec::new(),
        );
        client.execute(&desc, &params, &[]).await.unwrap();
        assert_eq!(mock.tokens_issued(platform), 1, "{platform}");
    }
    let seen = mock.requests();
    let tokens: Vec<(&str, &str)> = seen
        .iter()
        .map(|r| (r.platform.as_str(), r.api.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        tokens,
        [
            ("shop_a", "youzan.auth.token"),
            ("shop_a", "youzan.a.fixture.get"),
            ("shop_b", "youzan.auth.token"),
            ("shop_b", "youzan.b.fixture.get"),
        ]
    );
    assert!(seen.iter().all(|r| r.verified), "{seen:?}");

    // shop_a's token on shop_b's API: the mock's tokens belong to the platform that got them.
    let a = client.token("shop_a", AuthKind::User).await.unwrap();
    let http = reqwest::Client::new();
    let answer: serde_json::Value = http
        .post(format!(
            "{}/api/youzan.b.fixture.get/3.0.0?access_token={}",
            mock.base_url(),
            a.access_token.expose()
        ))
        .header("content-type", "application/json")
        .body(r#"{"id": 7}"#)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(answer["gw_err_resp"]["err_code"], 4203, "{answer}");
}
