//! What the generated types promise beyond calling: `enum:` values as Rust enums that keep
//! values the spec does not list, `PartialEq`, and (feature `serde` of the generated crates)
//! `Serialize`/`Deserialize` with the wire names.

mod common;

use opengate::{FromJson, Scalar, ToJson};
use opengate_apis::{alibaba, douyin, taobao, ClientExt};

#[test]
fn enum_values_are_variants_and_other_values_are_kept() {
    use taobao::trades_sold_get_v2_0::RequestStatus as Status;
    assert_eq!(Status::from("TRADE_CLOSED"), Status::TradeClosed);
    assert_eq!(Status::WaitBuyerPay.as_str(), "WAIT_BUYER_PAY");
    // The platform adds values: an answer must still read, and a request may still send one.
    let new = Status::from("PAID_FORBID_CONSIGN");
    assert_eq!(new, Status::Unknown("PAID_FORBID_CONSIGN".into()));
    assert_eq!(new.as_str(), "PAID_FORBID_CONSIGN");

    let request = taobao::trades_sold_get_v2_0::Request::new("tid").status(Status::TradeFinished);
    assert_eq!(request.to_json()["status"], "TRADE_FINISHED");
    // A string still converts, for callers that keep wire values.
    let request = taobao::trades_sold_get_v2_0::Request::new("tid").status("WAIT_BUYER_PAY");
    assert_eq!(request.status, Some(Status::WaitBuyerPay));

    // Read from an answer: as text, as a number, absent when empty.
    let read = |v| <Status as FromJson>::from_scalar(v).unwrap();
    assert_eq!(read(Scalar::Str("TRADE_CLOSED")), Some(Status::TradeClosed));
    assert_eq!(read(Scalar::Str("")), None);
    assert_eq!(read(Scalar::Null), None);
}

#[test]
fn an_int_enum_travels_as_a_number() {
    use douyin::ecom_captain_task_product_list_v1::{Request, RequestOrderField};
    let request = Request::new("task-1").order_field(RequestOrderField::N2);
    assert_eq!(request.to_json()["order_field"], serde_json::json!(2));
    assert_eq!(
        <RequestOrderField as FromJson>::from_scalar(Scalar::Number("1")).unwrap(),
        Some(RequestOrderField::N1)
    );
    // A value outside the list is sent as given, still as a number.
    let request = Request::new("task-1").order_field("7");
    assert_eq!(request.to_json()["order_field"], serde_json::json!(7));
}

#[tokio::test]
async fn answers_compare_with_partial_eq() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    let call = || {
        client
            .alibaba()
            .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
    };
    let (a, b) = (call().await.unwrap(), call().await.unwrap());
    // The mock answers the same data twice.
    assert_eq!(a.data(), b.data());
    assert_ne!(a.data(), &alibaba::product_get_v1::Response::default());
}

/// Stored and sent on as JSON with the platform's names, and read back equal (the tests turn on
/// the generated crate's `serde` feature).
#[tokio::test]
async fn answers_round_trip_through_serde_with_wire_names() {
    let mock = common::mock().await;
    let client = common::client(&mock, &[]);
    let reply = client
        .alibaba()
        .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
        .await
        .unwrap();
    let text = serde_json::to_string(reply.data()).unwrap();
    // The same JSON as the answer's data: wire names, money as text.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        serde_json::from_slice::<serde_json::Value>(reply.raw_bytes()).unwrap(),
    );
    assert!(text.contains("\"productInfo\""), "wire names: {text}");
    assert!(text.contains("\"productID\""), "wire names: {text}");
    let back: alibaba::product_get_v1::Response = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, reply.data());

    let request = taobao::trades_sold_get_v2_0::Request::new("tid,status").status(
        taobao::trades_sold_get_v2_0::RequestStatus::Unknown("NEW".into()),
    );
    // A request serializes as it is sent (to log it, to queue it); it is built by code, not read.
    let text = serde_json::to_string(&request).unwrap();
    assert_eq!(text, r#"{"fields":"tid,status","status":"NEW"}"#);
    // An enum value on its own, both ways.
    use taobao::trades_sold_get_v2_0::RequestStatus;
    let text = serde_json::to_string(&RequestStatus::TradeClosed).unwrap();
    assert_eq!(text, r#""TRADE_CLOSED""#);
    let back: RequestStatus = serde_json::from_str(r#""NEW""#).unwrap();
    assert_eq!(back, RequestStatus::Unknown("NEW".into()));
}
