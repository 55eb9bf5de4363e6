//! Push messages end to end over real HTTP on 127.0.0.1: the mock gateway signs and posts each
//! platform's envelope as the platform does, redelivering until acknowledged; a receiver built
//! from the config verifies it, deduplicates it and hands it to a handler that reads it into
//! the generated typed message.

mod common;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use opengate::push::{Delivery, Push, Receiver};
use opengate_apis::{alibaba, doudian, douyin, youzan};
use opengate_mock::{MockHandle, PushOrder, PushReport};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the handler saw: the typed messages it read, and how many calls it failed on purpose.
#[derive(Default)]
struct Seen {
    typed: Mutex<Vec<String>>,
    calls: AtomicUsize,
    fail_first: usize,
}

/// Reads a push into its platform's typed message and describes it in one line.
fn describe(push: &Push) -> opengate::Result<String> {
    Ok(match &*push.platform {
        "youzan" => match youzan::messages::Message::from_push(push)? {
            youzan::messages::Message::TradeBuyerPay(m) => {
                let info = m.full_order_info.unwrap_or_default();
                let order = info.order_info.unwrap_or_default();
                let pay = info.pay_info.unwrap_or_default();
                format!(
                    "youzan pay {} {}",
                    order.tid.unwrap_or_default(),
                    pay.payment.map(|p| p.to_string()).unwrap_or_default()
                )
            }
            other => format!("youzan {}", other.kind()),
        },
        "doudian" => match doudian::messages::Message::from_push(push)? {
            doudian::messages::Message::TradePaid(m) => format!(
                "doudian paid {} shop {}",
                m.p_id.unwrap_or_default(),
                m.shop_id.unwrap_or_default()
            ),
            other => format!("doudian {}", other.kind()),
        },
        "douyin" => match douyin::messages::Message::from_push(push)? {
            douyin::messages::Message::CreateVideo(m) => {
                format!("douyin video {}", m.item_id.unwrap_or_default())
            }
            other => format!("douyin {}", other.kind()),
        },
        "alibaba" => match alibaba::messages::Message::from_push(push)? {
            alibaba::messages::Message::OrderPay(m) => format!(
                "alibaba pay {} {}",
                m.order_id.unwrap_or_default(),
                m.current_status.unwrap_or_default()
            ),
            other => format!("alibaba {}", other.kind()),
        },
        p => format!("{p} {}", push.kind),
    })
}

/// A receiver of `platform` from the test config, serving on a loopback port.
async fn serve(platform: &str, seen: Arc<Seen>) -> SocketAddr {
    let config = opengate::Config::from_toml(common::CONFIG, "test").expect("config");
    let receiver = config
        .push_receiver_for(platform, &[])
        .expect("push rules")
        .build(move |push: Push| {
            let seen = seen.clone();
            async move {
                let call = seen.calls.fetch_add(1, Ordering::SeqCst);
                if call < seen.fail_first {
                    return Err("the database is down".into());
                }
                let line = describe(&push).map_err(opengate::push::BoxError::from)?;
                seen.typed.lock().unwrap().push(line);
                Ok::<(), opengate::push::BoxError>(())
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let receiver = receiver.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&receiver, req).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    addr
}

async fn answer(
    receiver: &Receiver,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (head, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let a = receiver
        .receive(Delivery {
            headers: &head.headers,
            query: head.uri.query(),
            body: &body,
        })
        .await;
    hyper::Response::builder()
        .status(a.status)
        .header("content-type", a.content_type)
        .body(Full::new(a.body))
        .unwrap()
}

fn order(platform: &str, kind: &str, payload: serde_json::Value, to: SocketAddr) -> PushOrder {
    serde_json::from_value(json!({
        "platform": platform,
        "kind": kind,
        "payload": payload,
        "to": format!("http://{to}/push"),
        "interval_ms": 20,
    }))
    .unwrap()
}

/// Posts an order to the mock's control endpoint, as a test in another language would.
async fn push_over_http(mock: &MockHandle, order: &PushOrder) -> PushReport {
    let resp = reqwest::Client::new()
        .post(format!("{}/__mock/push", mock.base_url()))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(order).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

fn cases() -> Vec<(&'static str, &'static str, serde_json::Value, &'static str)> {
    vec![
        (
            "youzan",
            "trade_TradeBuyerPay",
            json!({"full_order_info": {"order_info": {"tid": "E20261203", "status": "WAIT_SELLER_SEND_GOODS"}, "pay_info": {"payment": "88.50"}, "address_info": {"receiver_tel": "13800000000"}}}),
            "youzan pay E20261203 88.50",
        ),
        (
            "doudian",
            "101",
            json!({"p_id": 6918000000000000001_i64, "s_ids": [6918000000000000002_i64], "shop_id": 100200, "order_status": 2}),
            "doudian paid 6918000000000000001 shop 100200",
        ),
        (
            "douyin",
            "create_video",
            json!({"item_id": "@9VwLh", "video_id": "v0200"}),
            "douyin video @9VwLh",
        ),
        (
            "alibaba",
            "ORDER_BUYER_VIEW_ORDER_PAY",
            json!({"orderId": 3000000000000001_i64, "currentStatus": "waitsellersend"}),
            "alibaba pay 3000000000000001 waitsellersend",
        ),
    ]
}

#[tokio::test]
async fn each_platform_redelivers_after_a_failure_and_the_message_is_handled_once_typed() {
    let mock = common::mock().await;
    for (platform, kind, payload, expected) in cases() {
        let seen = Arc::new(Seen {
            fail_first: 1,
            ..Seen::default()
        });
        let to = serve(platform, seen.clone()).await;
        let mut o = order(platform, kind, payload, to);
        // Acknowledged, then delivered once more: the second copy must not be handled.
        o.copies = 2;
        let report = push_over_http(&mock, &o).await;
        assert!(report.delivered, "{platform}: {report:?}");
        let accepted: Vec<bool> = report.answers.iter().map(|a| a.accepted).collect();
        assert_eq!(accepted, [false, true, true], "{platform}: {report:?}");
        assert_eq!(
            seen.calls.load(Ordering::SeqCst),
            2,
            "{platform}: the failed call and the redelivery, not the copy"
        );
        assert_eq!(*seen.typed.lock().unwrap(), [expected], "{platform}");
    }
}

#[tokio::test]
async fn a_forged_push_is_refused_on_every_platform_and_never_handled() {
    let mock = common::mock().await;
    for (platform, kind, payload, _) in cases() {
        let seen = Arc::new(Seen::default());
        let to = serve(platform, seen.clone()).await;
        let mut o = order(platform, kind, payload, to);
        o.forge = true;
        o.attempts = 2;
        let report = mock.push(&o).await.unwrap();
        assert!(!report.delivered, "{platform}");
        assert_eq!(
            report.answers.len(),
            2,
            "{platform}: redelivered, refused again"
        );
        for a in &report.answers {
            assert_eq!(a.status, 401, "{platform}: {}", a.body);
            assert!(a.body.contains("signature"), "{platform}: {}", a.body);
        }
        assert_eq!(seen.calls.load(Ordering::SeqCst), 0, "{platform}");
    }
}

#[tokio::test]
async fn a_payload_that_does_not_fit_its_kind_fails_the_message_with_a_decode_error() {
    let mock = common::mock().await;
    let seen = Arc::new(Seen::default());
    let to = serve("doudian", seen.clone()).await;
    let mut o = order("doudian", "101", json!({"p_id": "not a number"}), to);
    o.attempts = 1;
    let report = mock.push(&o).await.unwrap();
    assert!(!report.delivered);
    assert_eq!(report.answers[0].body, r#"{"code":1,"msg":"fail"}"#);
    assert!(seen.typed.lock().unwrap().is_empty());

    let push = Push {
        platform: "doudian".into(),
        kind: "101".into(),
        id: "1".into(),
        key: "101:1".into(),
        shop: None,
        test: false,
        payload: Bytes::from_static(br#"{"p_id": [1], "receiver_tel": "13800000000"}"#),
    };
    let err = describe(&push).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("doudian") && text.contains("101"), "{text}");
    assert!(
        !text.contains("13800000000"),
        "no payload text in errors: {text}"
    );
}

#[tokio::test]
async fn a_kind_the_specs_do_not_list_arrives_as_unknown_and_taobao_is_not_an_http_push() {
    let mock = common::mock().await;
    let seen = Arc::new(Seen::default());
    let to = serve("youzan", seen.clone()).await;
    let report = mock
        .push(&order("youzan", "SCRM_CUSTOMER_EVENT", json!({"a": 1}), to))
        .await
        .unwrap();
    assert!(report.delivered);
    assert_eq!(*seen.typed.lock().unwrap(), ["youzan SCRM_CUSTOMER_EVENT"]);
    assert!(youzan::messages::KINDS.contains(&"trade_TradeBuyerPay"));

    let err = mock
        .push(&order("taobao", "taobao_trade_TradeCreate", json!({}), to))
        .await
        .unwrap_err();
    assert!(err.contains("TMC"), "{err}");
}
