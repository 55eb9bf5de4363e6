//! The golden files are real code: they compile against the runtime with every warning denied
//! (and, under `cargo clippy --all-targets -- -D warnings`, every clippy warning too).
#![deny(warnings)]
// `feature = "serde"` is the generated crates' feature, not this crate's: here the goldens compile
// without it; the runtime's tests/generated_types.rs builds generated crates with it on.
#![allow(unexpected_cfgs)]

pub mod youzan {
    include!("golden/youzan.rs");
}
pub mod douyin {
    include!("golden/douyin.rs");
}
pub mod taobao {
    include!("golden/taobao.rs");
}

/// Stands in for the crate root's accessor trait that the per-platform docs link to.
pub trait ClientExt {}

#[test]
fn the_generated_api_is_usable() {
    // A request with its required params, the descriptor, a default response.
    let req = douyin::alliance_store_add_v1::Request::new(
        "open-id",
        vec![douyin::alliance_store_add_v1::RequestProductsItem::new("p1").r#type(2)],
    )
    .need_hide(true);
    assert_eq!(
        <douyin::alliance_store_add_v1::Request as opengate::ApiRequest>::api().path,
        "/alliance/store/add/"
    );
    assert_eq!(req.products.len(), 1);
    let _ = youzan::logistics_expressbyorderno_get_v3_0_0::Response::default();
    let _ = taobao::TaobaoApi;
    // A part type two APIs write alike is one type: this compiles only if it is.
    let orders: taobao::trade_get_v2_0::ResponseTradeOrders =
        taobao::trade_fullinfo_get_v2_0::ResponseTradeOrders::default();
    let trade = taobao::trade_get_v2_0::ResponseTrade {
        orders: Some(orders),
        ..Default::default()
    };
    assert!(trade.orders.is_some());
}
