//! Quickstart: start the offline mock gateway in-process and call one API of
//! each platform through the generated typed methods.
//!
//! Run with `cargo run --example quickstart`.

use opengate::{AuthKind, Config};
use opengate_apis::{alibaba, douyin, taobao, youzan, ClientExt};
use std::path::Path;

/// Demo apps: the mock gateway and the client read the same configuration.
const DEMO_CONFIG: &str = r#"
[youzan]
client_id = "demo-client"
client_secret = "demo-youzan-secret"
grant_id = "42587152"

[taobao]
app_key = "12345678"
app_secret = "demo-taobao-secret"
sign_method = "hmac-sha256"
session = "demo-session"

[alibaba]
app_key = "1234567"
app_secret = "demo-1688-secret"
access_token = "demo-1688-token"

[douyin]
client_key = "demo-client-key"
client_secret = "demo-douyin-secret"
access_token = "act.demo-user-token"
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mock = opengate_mock::MockGateway::new(&specs, DEMO_CONFIG)?
        .start(([127, 0, 0, 1], 0).into())
        .await?;
    println!("mock gateway listening on {}", mock.base_url());

    // Point every platform at the mock: `base_url` replaces scheme, host and port.
    let mut config = Config::from_toml(DEMO_CONFIG, "quickstart")?;
    for platform in ["youzan", "taobao", "alibaba", "douyin"] {
        config.set(platform, "base_url", mock.base_url());
    }
    let client = config
        .client_builder_for(opengate_apis::PLATFORMS)?
        .build()?;

    // Youzan: a token through the generated token endpoint method, then the logistics API
    // (the client obtains and caches its own token for `auth: user` APIs).
    let token = client
        .youzan()
        .auth_token_v1_0(
            youzan::auth_token_v1_0::Request::new("demo-client", "demo-youzan-secret", "silent")
                .grant_id("42587152"),
        )
        .await?;
    let data = token.data.as_ref().ok_or("no token data")?;
    println!(
        "youzan token for shop {:?}, expires {:?} (token itself: {:?})",
        data.authority_id, data.expires, data.access_token
    );

    let express = client
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(
            youzan::logistics_expressbyorderno_get_v3_0_0::Request::new("E20190301120000000000001"),
        )
        .await?;
    let e = express.data.as_ref().ok_or("no express data")?;
    println!(
        "youzan express: company={:?} number={:?} state={:?} status={:?} created={:?}",
        e.com, e.nu, e.state, e.status, e.created_time
    );
    println!(
        "  client fetched the Youzan token {} time(s)",
        client.token_fetches("youzan", AuthKind::User)
    );

    let trade = client
        .taobao()
        .trade_fullinfo_get_v2_0(taobao::trade_fullinfo_get_v2_0::Request::new(
            "tid,status,payment,orders",
            123456789,
        ))
        .await?;
    let t = trade.trade.as_ref().ok_or("no trade")?;
    println!(
        "taobao trade: tid={:?} status={:?} payment={:?} created={:?}",
        t.tid, t.status, t.payment, t.created
    );

    let product = client
        .alibaba()
        .product_get_v1(alibaba::product_get_v1::Request::new(520000000001, "1688"))
        .await?;
    let info = product.product_info.as_ref().ok_or("no product")?;
    println!(
        "1688 product: id={:?} subject={:?} (success={:?})",
        info.product_id, info.subject, product.success
    );

    let store = client
        .douyin()
        .alliance_kol_store_list_v1(douyin::alliance_kol_store_list_v1::Request::new(
            "open-id-1",
            1,
            20,
        ))
        .await?;
    println!(
        "douyin store list: total={:?} first={:?}",
        store.total,
        store.products.first().map(|p| (&p.product_id, &p.title))
    );

    let categories = client
        .douyin()
        .alliance_materials_product_category_v1(
            douyin::alliance_materials_product_category_v1::Request::new(0),
        )
        .await?;
    println!(
        "douyin categories (client token): {:?}",
        categories
            .categories
            .iter()
            .map(|c| &c.name)
            .collect::<Vec<_>>()
    );

    let verified = mock.requests().iter().filter(|r| r.verified).count();
    println!(
        "mock verified {verified} of {} requests",
        mock.requests().len()
    );
    Ok(())
}
