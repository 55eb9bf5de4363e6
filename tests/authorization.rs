//! Every platform's authorization-code flow end to end against the mock: the authorize URL,
//! the page's redirect with a code for a shop, the exchange, calls for that shop, a refresh of
//! its token by the flow, and two shops of one app that never mix their tokens.

mod common;

use opengate::{Client, Error};
use opengate_apis::{alibaba, doudian, douyin, taobao, youzan, ClientExt};
use opengate_mock::MockHandle;

const REDIRECT: &str = "https://app.example/callback?from=opengate";

/// The test config as a tool app's: Youzan without a `grant_id`, Doudian with its service.
fn tool_config() -> String {
    common::CONFIG
        .replace("grant_id = \"42587152\"\n", "")
        .replace("shop_id = \"100200\"\n", "service_id = \"svc-7\"\n")
}

fn client(mock: &MockHandle, config: &str) -> Client {
    let mut c = opengate::Config::from_toml(config, "test").unwrap();
    for p in ["youzan", "taobao", "alibaba", "douyin", "doudian"] {
        c.set(p, "base_url", mock.base_url());
    }
    c.client_builder().unwrap().build().unwrap()
}

/// Opens the authorize URL as the merchant of `shop` would (the mock's page takes `shop`),
/// follows nothing, and returns the code of the redirect, after checking where it goes.
async fn authorize(client: &Client, platform: &str, shop: &str) -> String {
    let url = client.authorize_url(platform, REDIRECT, "st-42").unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = http.get(format!("{url}&shop={shop}")).send().await.unwrap();
    assert_eq!(answer.status(), 302, "{platform}: {url}");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let back = url::Url::parse(&location).unwrap();
    assert_eq!(
        format!(
            "{}://{}{}",
            back.scheme(),
            back.host_str().unwrap(),
            back.path()
        ),
        "https://app.example/callback",
        "{location}"
    );
    let get = |k: &str| {
        back.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(
        get("from").as_deref(),
        Some("opengate"),
        "the URI's own query stays"
    );
    assert_eq!(get("state").as_deref(), Some("st-42"));
    get("code").expect("a code")
}

/// One user call of `platform` for `shop`.
async fn call(client: &Client, platform: &str, shop: &str) -> opengate::Result<()> {
    let c = client.shop(shop);
    match platform {
        "youzan" => c
            .youzan()
            .logistics_expressbyorderno_get_v3_0_0(
                youzan::logistics_expressbyorderno_get_v3_0_0::Request::new("E1"),
            )
            .await
            .map(|_| ()),
        "taobao" => c
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
            .await
            .map(|_| ()),
        "alibaba" => c
            .alibaba()
            .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
            .await
            .map(|_| ()),
        "doudian" => c
            .doudian()
            .product_detail_v2(doudian::product_detail_v2::Request::new().product_id("1"))
            .await
            .map(|_| ()),
        "douyin" => c
            .douyin()
            .alliance_kol_reputation_v1(douyin::alliance_kol_reputation_v1::Request::new("oid"))
            .await
            .map(|_| ()),
        other => panic!("{other}"),
    }
}

/// The shops the mock recorded for `platform`'s verified calls, in order.
fn shops_called(mock: &MockHandle, platform: &str) -> Vec<Option<String>> {
    mock.requests()
        .into_iter()
        .filter(|r| r.platform == platform && r.verified)
        // Not the token endpoints nor the authorization pages.
        .filter(|r| {
            r.api.as_deref().is_some_and(|a| {
                let a = a.to_ascii_lowercase();
                !a.contains("token") && !a.contains("authorize") && a != "oauth.connect"
            })
        })
        .map(|r| r.shop)
        .collect()
}

#[tokio::test]
async fn every_platforms_code_flow_authorizes_two_shops_that_never_mix_tokens() {
    let config = tool_config();
    let mock = common::mock_with(&config).await;
    let client = client(&mock, &config);
    for platform in ["youzan", "taobao", "alibaba", "doudian", "douyin"] {
        let (a, b) = ("shop-a-7001", "shop-b-7002");
        let code_a = authorize(&client, platform, a).await;
        let grant_a = client
            .exchange_code(platform, &code_a, REDIRECT)
            .await
            .unwrap();
        assert_eq!(grant_a.shop, a, "{platform}");
        // A code is good once.
        let again = client.exchange_code(platform, &code_a, REDIRECT).await;
        assert!(
            matches!(again, Err(Error::Auth { .. })),
            "{platform}: {again:?}"
        );
        let code_b = authorize(&client, platform, b).await;
        let grant_b = client
            .exchange_code(platform, &code_b, REDIRECT)
            .await
            .unwrap();
        assert_eq!(grant_b.shop, b);
        assert_ne!(grant_a.token.access_token, grant_b.token.access_token);

        for shop in [a, b, a, b] {
            call(&client, platform, shop)
                .await
                .unwrap_or_else(|e| panic!("{platform} {shop}: {e}"));
        }
        // Expired at the platform: each shop's token is refreshed by the flow, for that shop.
        mock.expire_tokens();
        for shop in [b, a] {
            call(&client, platform, shop)
                .await
                .unwrap_or_else(|e| panic!("{platform} {shop} after expiry: {e}"));
        }
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            shops_called(&mock, platform),
            [some(a), some(b), some(a), some(b), some(b), some(a)],
            "{platform}: every call carried its own shop's token"
        );
        let stored = client
            .stored_token(platform, Some(a))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.version, 2,
            "{platform}: exchanged, then refreshed once"
        );
        assert_eq!(
            client
                .shop(a)
                .token_fetches(platform, opengate::AuthKind::User),
            1
        );
    }
}

#[tokio::test]
async fn a_shop_that_never_authorized_is_refused_before_any_request() {
    let config = tool_config();
    let mock = common::mock_with(&config).await;
    let client = client(&mock, &config);
    let e = call(&client, "taobao", "never-7009").await.unwrap_err();
    assert!(
        e.to_string().contains("never-7009") && e.to_string().contains("authorize"),
        "{e}"
    );
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[tokio::test]
async fn a_1688_authorize_url_with_a_wrong_signature_is_refused_by_the_page() {
    let config = tool_config();
    let mock = common::mock_with(&config).await;
    let client = client(&mock, &config);
    let url = client.authorize_url("alibaba", REDIRECT, "st").unwrap();
    assert!(url.contains("_aop_signature="), "{url}");
    let forged = url.replace("state=st", "state=other");
    let answer = reqwest::get(forged).await.unwrap();
    assert_eq!(answer.status(), 400);
}

#[tokio::test]
async fn a_douyin_refresh_token_is_renewed_at_most_five_times() {
    let config = tool_config();
    let mock = common::mock_with(&config).await;
    let client = client(&mock, &config);
    let code = authorize(&client, "douyin", "user-9").await;
    let grant = client
        .exchange_code("douyin", &code, REDIRECT)
        .await
        .unwrap();
    let mut refresh = grant.token.refresh_token.clone();
    for n in 1..=5 {
        client
            .renew_refresh_token("douyin", "user-9")
            .await
            .unwrap();
        let stored = client
            .stored_token("douyin", Some("user-9"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 1 + n, "saved over the version it renewed");
        assert_ne!(stored.token.refresh_token, refresh, "a new refresh token");
        assert_eq!(
            stored.token.access_token, grant.token.access_token,
            "the access token stays"
        );
        refresh = stored.token.refresh_token;
    }
    let sixth = client
        .renew_refresh_token("douyin", "user-9")
        .await
        .unwrap_err();
    assert!(sixth.to_string().contains("10020"), "{sixth}");
    // The renewed refresh token is the live one: an expired access token refreshes with it.
    mock.expire_tokens();
    call(&client, "douyin", "user-9").await.unwrap();
    // Platforms without a renewal say so.
    let code = authorize(&client, "taobao", "seller-1").await;
    client
        .exchange_code("taobao", &code, REDIRECT)
        .await
        .unwrap();
    let e = client
        .renew_refresh_token("taobao", "seller-1")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no renewal"), "{e}");
}
