//! Shops as a dimension of the client: `client.shop(id)` calls with that shop's own user token,
//! stored and refreshed under its own key, and never with another shop's.

mod common;

use common::{config_for, mock_with, CONFIG};
use opengate::token::{MemoryStore, TokenStore};
use opengate::{AuthKind, Error};
use opengate_apis::youzan::logistics_expressbyorderno_get_v3_0_0 as express;
use opengate_apis::ClientExt;
use std::sync::Arc;

/// The mock grants the configured shop and two more of the same app.
fn mock_config() -> String {
    CONFIG.replace(
        "grant_id = \"42587152\"\n",
        "grant_id = \"42587152\"\nshops = \"1001, 1002\"\n",
    )
}

/// A client of the same config as the mock's, pointed at it.
fn client_of(mock: &opengate_mock::MockHandle) -> opengate::Client {
    let mut config = opengate::Config::from_toml(&mock_config(), "test").unwrap();
    for p in ["youzan", "alibaba"] {
        config.set(p, "base_url", mock.base_url());
    }
    config.client_builder().unwrap().build().unwrap()
}

#[tokio::test]
async fn two_shops_of_one_app_never_mix_their_tokens() {
    let mock = mock_with(&mock_config()).await;
    let store = Arc::new(MemoryStore::default());
    let mut config = opengate::Config::from_toml(&mock_config(), "test").unwrap();
    config.set("youzan", "base_url", mock.base_url());
    let client = config
        .client_builder()
        .unwrap()
        .token_store(store.clone())
        .build()
        .unwrap();
    // The config lists the app's other shops; a worker iterates them.
    assert_eq!(client.shops("youzan"), ["1001", "1002"]);
    for shop in ["1001", "1002", "1001", "1002"] {
        client
            .shop(shop)
            .youzan()
            .logistics_expressbyorderno_get_v3_0_0(express::Request::new("E1"))
            .await
            .unwrap_or_else(|e| panic!("shop {shop}: {e}"));
    }
    // The configured single shop keeps working beside them, with a token of its own.
    client
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express::Request::new("E1"))
        .await
        .unwrap();
    let calls: Vec<Option<String>> = mock
        .requests()
        .into_iter()
        .filter(|r| r.api.as_deref() == Some("youzan.logistics.expressbyorderno.get"))
        .map(|r| r.shop)
        .collect();
    let shop = |s: &str| Some(s.to_owned());
    assert_eq!(
        calls,
        [shop("1001"), shop("1002"), shop("1001"), shop("1002"), None]
    );
    // One grant per shop, each stored under the shop's own key.
    assert_eq!(mock.tokens_issued("youzan"), 3);
    let a = store
        .load("youzan/yz-client/42587152/user/1001")
        .await
        .unwrap()
        .expect("shop 1001 stored")
        .token;
    let b = store
        .load("youzan/yz-client/42587152/user/1002")
        .await
        .unwrap()
        .expect("shop 1002 stored")
        .token;
    let own = store
        .load("youzan/yz-client/42587152/user")
        .await
        .unwrap()
        .expect("the configured shop")
        .token;
    assert_ne!(a.access_token, b.access_token);
    assert_ne!(a.access_token, own.access_token);
    assert_eq!(
        client.shop("1001").token_fetches("youzan", AuthKind::User),
        1
    );
    assert_eq!(client.token_fetches("youzan", AuthKind::User), 1);
}

#[tokio::test]
async fn a_shop_expired_token_is_refreshed_for_that_shop() {
    let mock = mock_with(&mock_config()).await;
    let client = client_of(&mock);
    let shop = client.shop("1001");
    let call = || {
        shop.youzan()
            .logistics_expressbyorderno_get_v3_0_0(express::Request::new("E1"))
    };
    call().await.unwrap();
    mock.expire_tokens();
    call().await.unwrap();
    let last = mock.requests().pop().unwrap();
    assert_eq!(last.shop.as_deref(), Some("1001"));
    // Rejected, refreshed with the shop's own refresh token, sent again.
    assert_eq!(shop.token_fetches("youzan", AuthKind::User), 2);
}

#[tokio::test]
async fn a_shop_the_store_does_not_know_is_refused_before_any_request() {
    // 1688's provider holds one shop's refresh token: it cannot grant another shop.
    let refresh = CONFIG.replace(
        "access_token = \"aop-token-XYZ\"",
        "refresh_token = \"aop-refresh-XYZ\"",
    );
    let mock = mock_with(&refresh).await;
    let client = config_for(&mock, &[("alibaba", "refresh_token", "aop-refresh-XYZ")])
        .client_builder()
        .unwrap()
        .build()
        .unwrap();
    let before = mock.requests_seen();
    let e = client
        .shop("b2b-999")
        .token("alibaba", AuthKind::User)
        .await
        .unwrap_err();
    match &e {
        Error::Auth { message, .. } => assert!(
            message.contains("shop b2b-999 has no refreshable token"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.requests_seen(), before, "no token request was made");
    // The configured shop still gets its token.
    client.token("alibaba", AuthKind::User).await.unwrap();
}

#[tokio::test]
async fn a_shop_not_granted_by_the_platform_fails_with_the_platforms_answer() {
    let mock = mock_with(&mock_config()).await;
    let client = client_of(&mock);
    let e = client
        .shop("9999")
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express::Request::new("E1"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("1201"), "{e}");
}

/// A self-use app's shop survives a refresh token the platform no longer honours (a worker was
/// killed after its refresh and before it stored the new pair): the refresh is refused, and the
/// provider grants anew (Doudian `authorization_self`, Youzan's silent grant), for the configured
/// shop and for another of the app's shops.
#[tokio::test]
async fn a_self_use_shop_whose_refresh_token_is_retired_is_granted_anew() {
    let mut cfg = mock_config();
    cfg = cfg.replace(
        "shop_id = \"100200\"\n",
        "shop_id = \"100200\"\nshops = \"100300\"\n",
    );
    let mock = mock_with(&cfg).await;
    let mut config = opengate::Config::from_toml(&cfg, "test").unwrap();
    for p in ["youzan", "doudian"] {
        config.set(p, "base_url", mock.base_url());
    }
    let client = config.client_builder().unwrap().build().unwrap();
    let doudian = |shop: Option<&str>| {
        let c = match shop {
            Some(s) => client.shop(s),
            None => client.clone(),
        };
        async move {
            c.doudian()
                .product_detail_v2(
                    opengate_apis::doudian::product_detail_v2::Request::new().product_id("1"),
                )
                .await
                .map(|_| ())
        }
    };
    let youzan = |shop: &str| {
        let c = client.shop(shop);
        async move {
            c.youzan()
                .logistics_expressbyorderno_get_v3_0_0(express::Request::new("E1"))
                .await
                .map(|_| ())
        }
    };
    doudian(None).await.unwrap();
    doudian(Some("100300")).await.unwrap();
    youzan("1001").await.unwrap();
    mock.expire_tokens();
    mock.retire_refresh_tokens();
    doudian(None).await.unwrap();
    doudian(Some("100300")).await.unwrap();
    youzan("1001").await.unwrap();
    let granted = mock
        .requests()
        .into_iter()
        .filter_map(|r| r.api)
        .filter(|api| api == "token.create")
        .count();
    assert_eq!(
        granted, 4,
        "each Doudian shop granted twice: first, and after the refusal"
    );
    // And the next expiry refreshes the new pair as usual.
    mock.expire_tokens();
    doudian(None).await.unwrap();
    youzan("1001").await.unwrap();
}
