//! Taobao's TMC channel end to end against the mock's (a real WebSocket on 127.0.0.1): messages
//! received, decoded into the typed TMC messages, handled and confirmed; a connection dropped in
//! the middle of a delivery loses nothing and handles nothing twice; a handler failure is
//! reported and the message handled on its redelivery; a wrong secret is refused.

use opengate::platform::taobao::tmc::{self, TmcClient, TmcSettings};
use opengate::push::Push;
use opengate_apis::taobao::messages::Message;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

/// The app's secret in `common::CONFIG`.
const SECRET: &str = "tb-secret-XYZ";

async fn mock_and_channel() -> (opengate_mock::MockHandle, opengate_mock::tmc::TmcHandle) {
    let mock = common::mock().await;
    let tmc = mock.start_tmc().await.unwrap();
    (mock, tmc)
}

async fn channel() -> opengate_mock::tmc::TmcHandle {
    mock_and_channel().await.1
}

fn settings(url: &str, secret: &str) -> TmcSettings {
    let mut s = TmcSettings::new("12345678", secret);
    s.url = url.to_owned();
    s.pull_every = Duration::from_millis(100);
    s.min_backoff = Duration::from_millis(20);
    s.max_backoff = Duration::from_millis(200);
    s
}

/// Handled message ids with how often each was handled, and the paid trades' ids as read.
#[derive(Default)]
struct Seen {
    handled: BTreeMap<String, u32>,
    tids: Vec<i64>,
}

/// A client whose handler records what it handled; `fail_first` ids fail once.
fn client(url: &str, seen: &Arc<Mutex<Seen>>, fail_first: Vec<String>) -> TmcClient {
    let seen = seen.clone();
    let failing = Arc::new(Mutex::new(fail_first));
    let receiver = tmc::receiver().build(move |push: Push| {
        let (seen, failing) = (seen.clone(), failing.clone());
        async move {
            {
                let mut f = failing.lock().unwrap();
                if let Some(at) = f.iter().position(|id| *id == push.id) {
                    f.remove(at);
                    return Err("not yet".to_owned());
                }
            }
            let message = Message::from_push(&push).map_err(|e| e.to_string())?;
            let mut s = seen.lock().unwrap();
            if let Message::TradeBuyerPay(m) = message {
                s.tids.extend(m.tid);
            }
            *s.handled.entry(push.id.clone()).or_default() += 1;
            Ok::<(), String>(())
        }
    });
    TmcClient::new(settings(url, SECRET), receiver)
}

/// `true` once `tmc` has `n` confirmed messages.
fn confirmed(
    tmc: &opengate_mock::tmc::TmcHandle,
    n: usize,
) -> impl std::future::Future<Output = ()> {
    let t = tmc.clone();
    async move {
        while t.confirmed().len() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Runs `client` until every published message is confirmed (or 20 s pass).
async fn run_until_confirmed(client: &TmcClient, tmc: &opengate_mock::tmc::TmcHandle, n: usize) {
    tokio::time::timeout(Duration::from_secs(20), client.run(confirmed(tmc, n)))
        .await
        .expect("every message confirmed within 20 s")
        .expect("the client ran");
}

fn publish(tmc: &opengate_mock::tmc::TmcHandle, n: i64) -> Vec<i64> {
    (0..n)
        .map(|i| {
            let tid = 4_611_686_018_427_387_904 + i;
            let content = format!(r#"{{"tid":{tid},"seller_nick":"shop","payment":"12.30","status":"WAIT_SELLER_SEND_GOODS"}}"#);
            tmc.publish("taobao_trade_TradeBuyerPay", &content, 1001)
        })
        .collect()
}

#[tokio::test]
async fn messages_are_received_typed_and_confirmed_once() {
    let tmc = channel().await;
    let ids = publish(&tmc, 20);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let c = client(&tmc.url(), &seen, vec![]);
    run_until_confirmed(&c, &tmc, ids.len()).await;

    let mut confirmed = tmc.confirmed();
    confirmed.sort_unstable();
    assert_eq!(confirmed, ids, "every message confirmed, once");
    let s = seen.lock().unwrap();
    // Ids above 2^53 arrive exact.
    let handled: Vec<i64> = s.handled.keys().map(|k| k.parse().unwrap()).collect();
    let mut sorted = handled.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ids);
    assert!(s.handled.values().all(|n| *n == 1), "{:?}", s.handled);
    let mut tids = s.tids.clone();
    tids.sort_unstable();
    assert_eq!(
        tids,
        (0..20)
            .map(|i| 4_611_686_018_427_387_904 + i)
            .collect::<Vec<i64>>()
    );
    assert_eq!(tmc.connections(), 1);
}

#[tokio::test]
async fn a_dropped_connection_loses_nothing_and_handles_nothing_twice() {
    let tmc = channel().await;
    // The connection goes away after the 7th data frame, before its confirm can arrive, and
    // again after 9 more (some of them redeliveries) on the next connection.
    tmc.drop_after(7);
    tmc.drop_after(9);
    let ids = publish(&tmc, 30);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let c = client(&tmc.url(), &seen, vec![]);
    run_until_confirmed(&c, &tmc, ids.len()).await;

    assert!(tmc.connections() >= 3, "{} connections", tmc.connections());
    assert!(
        tmc.deliveries() > ids.len() as u64,
        "messages in flight at a drop were delivered again ({} deliveries)",
        tmc.deliveries()
    );
    let mut confirmed = tmc.confirmed();
    confirmed.sort_unstable();
    assert_eq!(confirmed, ids, "nothing lost: every message confirmed once");
    let s = seen.lock().unwrap();
    assert_eq!(s.handled.len(), ids.len());
    assert!(
        s.handled.values().all(|n| *n == 1),
        "a message handled twice: {:?}",
        s.handled
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );
    assert_eq!(tmc.pending(), 0);
}

#[tokio::test]
async fn a_failed_handler_reports_failure_and_the_redelivery_is_handled_once() {
    let tmc = channel().await;
    let ids = publish(&tmc, 3);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let c = client(&tmc.url(), &seen, vec![ids[1].to_string()]);
    run_until_confirmed(&c, &tmc, ids.len()).await;

    assert_eq!(tmc.failures(), 1, "the failure was reported, not confirmed");
    let s = seen.lock().unwrap();
    assert_eq!(s.handled.get(&ids[1].to_string()), Some(&1));
    assert_eq!(s.handled.len(), 3);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_ends_the_run() {
    let tmc = channel().await;
    let receiver = tmc::receiver().build(|_: Push| async { Ok::<(), String>(()) });
    let c = TmcClient::new(settings(&tmc.url(), "wrong-secret"), receiver);
    let err = tokio::time::timeout(Duration::from_secs(10), c.run(std::future::pending()))
        .await
        .expect("a refusal ends the run")
        .unwrap_err();
    assert!(matches!(err, opengate::Error::Config(_)), "{err}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("wrong-secret"), "{err}");
    assert_eq!((tmc.refused(), tmc.connections()), (1, 0));
}

#[tokio::test]
async fn an_unreachable_channel_is_retried_until_stopped() {
    // A port nobody listens on: the client backs off and retries; `stop` ends it cleanly.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    drop(listener);
    let receiver = tmc::receiver().build(|_: Push| async { Ok::<(), String>(()) });
    let c = TmcClient::new(settings(&url, SECRET), receiver);
    let stop = tokio::time::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    c.run(stop).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_http_fallback_consumes_and_confirms_what_was_handled() {
    let (mock, tmc) = mock_and_channel().await;
    // More than one consume call's worth, one of them failing once.
    let ids = publish(&tmc, 130);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let c = client(&tmc.url(), &seen, vec![ids[42].to_string()]);
    let http = common::client(&mock, &[]);
    tokio::time::timeout(
        Duration::from_secs(20),
        c.consume_over_http(&http, confirmed(&tmc, ids.len())),
    )
    .await
    .expect("every message confirmed within 20 s")
    .unwrap();

    let mut confirmed = tmc.confirmed();
    confirmed.sort_unstable();
    assert_eq!(confirmed, ids, "every message confirmed once");
    let s = seen.lock().unwrap();
    assert_eq!(s.handled.len(), ids.len());
    assert!(s.handled.values().all(|n| *n == 1), "{:?}", s.handled);
    assert!(
        tmc.deliveries() > ids.len() as u64,
        "the failed one was given out again"
    );
    assert_eq!(tmc.connections(), 0, "no WebSocket was opened");
    // Every call was signed right and verified by the mock.
    let calls = mock.requests();
    assert!(
        calls.iter().all(|r| r.verified),
        "{:?}",
        calls.iter().find(|r| !r.verified)
    );
    assert!(calls
        .iter()
        .any(|r| r.api.as_deref() == Some("taobao.tmc.messages.confirm")));
}
