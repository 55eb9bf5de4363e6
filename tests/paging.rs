//! Every paging style against the mock's paged data set (`[mock] page_items`): with 0 items, 1,
//! exactly one page and 10,000, the generated `_pages(...).items()` reads every item exactly
//! once, on every platform: Taobao page numbers with `has_next` and backward from the total,
//! Youzan with a nested total, Doudian from page 0, 1688 with pages of 20, Douyin page numbers
//! with `has_more` and a cursor.

use futures::StreamExt;
use opengate::paging::PagedRequest;
use opengate::ToJson;
use opengate_apis::{alibaba, doudian, douyin, taobao, youzan, ClientExt};
use serde_json::Value;
use std::collections::BTreeMap;

mod common;

/// The mock with a paged data set of `page_items` items, and a client of every platform.
async fn client_with(page_items: u64) -> (opengate_mock::MockHandle, opengate::Client) {
    let config = format!("{}\n[mock]\npage_items = {page_items}\n", common::CONFIG);
    let mock = common::mock_with(&config).await;
    let client = common::client(&mock, &[]);
    (mock, client)
}

/// The item's id: the first member named like one, at any depth.
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => {
            for (k, member) in m {
                if ["id", "tid", "order_id", "product_id"].contains(&k.as_str()) {
                    match member {
                        Value::String(s) => return Some(s.clone()),
                        Value::Number(n) => return Some(n.to_string()),
                        _ => {}
                    }
                }
            }
            m.values().find_map(id_of)
        }
        _ => None,
    }
}

/// Reads every item of a run, and counts how often each id came.
async fn read_all<R>(pages: opengate::Pages<R>) -> BTreeMap<String, u32>
where
    R: PagedRequest,
    R::Response: opengate::paging::PagedResponse,
    <R::Response as opengate::paging::PagedResponse>::Item: ToJson,
{
    let mut seen = BTreeMap::new();
    let mut items = std::pin::pin!(pages.items());
    while let Some(item) = items.next().await {
        let item = item.unwrap_or_else(|e| panic!("{}: {e}", R::api().name));
        let id = id_of(&item.to_json())
            .unwrap_or_else(|| panic!("{}: an item without an id", R::api().name));
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

fn assert_each_once(api: &str, seen: &BTreeMap<String, u32>, n: u64) {
    assert_eq!(seen.len() as u64, n, "{api}: {n} distinct items expected");
    assert!(
        seen.values().all(|c| *c == 1),
        "{api}: items read twice: {:?}",
        seen.iter()
            .filter(|(_, c)| **c > 1)
            .take(5)
            .collect::<Vec<_>>()
    );
    let mut ids: Vec<u64> = seen.keys().map(|k| k.parse().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=n).collect::<Vec<u64>>(), "{api}: the ids 1..={n}");
}

/// Every style with `n` items.
async fn every_style_reads_each_item_once(n: u64) {
    let (mock, c) = client_with(n).await;
    let runs = [
        (
            "taobao.trades.sold.get",
            read_all(
                c.taobao()
                    .trades_sold_get_v2_0_pages(taobao::trades_sold_get_v2_0::Request::new("tid")),
            )
            .await,
        ),
        (
            "taobao.trades.sold.increment.get",
            read_all(c.taobao().trades_sold_increment_get_v2_0_pages(
                taobao::trades_sold_increment_get_v2_0::Request::new(
                    "tid",
                    opengate::DateTime::parse_beijing("2024-03-01 00:00:00").unwrap(),
                    opengate::DateTime::parse_beijing("2024-03-01 23:59:59").unwrap(),
                ),
            ))
            .await,
        ),
        (
            "youzan.trades.sold.get",
            read_all(
                c.youzan()
                    .trades_sold_get_v4_0_0_pages(youzan::trades_sold_get_v4_0_0::Request::new()),
            )
            .await,
        ),
        (
            "order.searchList",
            read_all(
                c.doudian().order_search_list_v2_pages(
                    doudian::order_search_list_v2::Request::new(0, 100),
                ),
            )
            .await,
        ),
        (
            "alibaba.trade.getBuyerOrderList",
            read_all(c.alibaba().trade_get_buyer_order_list_v1_pages(
                alibaba::trade_get_buyer_order_list_v1::Request::new(),
            ))
            .await,
        ),
        (
            "alliance.kol.store.list",
            read_all(c.douyin().alliance_kol_store_list_v1_pages(
                douyin::alliance_kol_store_list_v1::Request::new("open-1", 1, 20),
            ))
            .await,
        ),
        (
            "alliance.kol.orders",
            read_all(c.douyin().alliance_kol_orders_v1_pages(
                douyin::alliance_kol_orders_v1::Request::new("open-1", 100),
            ))
            .await,
        ),
    ];
    for (api, seen) in &runs {
        assert_each_once(api, seen, n);
    }
    // Every page was a signed call the mock verified.
    assert!(mock.requests().iter().all(|r| r.verified));
}

#[tokio::test]
async fn no_items() {
    every_style_reads_each_item_once(0).await;
}

#[tokio::test]
async fn one_item() {
    every_style_reads_each_item_once(1).await;
}

#[tokio::test]
async fn exactly_one_page() {
    // 20 is a whole page at 1688's and Douyin's size and a part of the others'.
    every_style_reads_each_item_once(20).await;
    every_style_reads_each_item_once(100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_items() {
    every_style_reads_each_item_once(10_000).await;
}

#[tokio::test]
async fn backward_paging_reads_the_last_page_first() {
    let (mock, c) = client_with(250).await;
    let request = taobao::trades_sold_increment_get_v2_0::Request::new(
        "tid",
        opengate::DateTime::parse_beijing("2024-03-01 00:00:00").unwrap(),
        opengate::DateTime::parse_beijing("2024-03-01 23:59:59").unwrap(),
    );
    let pages: Vec<_> = c
        .taobao()
        .trades_sold_increment_get_v2_0_pages(request)
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
    let page_nos: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| {
            let body: BTreeMap<String, String> = form_urlencoded::parse(r.body.as_bytes())
                .into_owned()
                .collect();
            body.get("page_no").cloned().unwrap_or_default()
        })
        .collect();
    // The probe learns the total at page 1; then 3, 2, 1.
    assert_eq!(page_nos, ["1", "3", "2", "1"]);
}

#[tokio::test]
async fn max_pages_stops_the_run_and_an_error_ends_it_after_the_pages_read() {
    let (mock, c) = client_with(1000).await;
    let pages: Vec<_> = c
        .taobao()
        .trades_sold_get_v2_0_pages(taobao::trades_sold_get_v2_0::Request::new("tid"))
        .max_pages(3)
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(Result::is_ok));

    // The third page fails (a status that is not retried): two pages, then the error, then
    // the end; the pages read stay read.
    let mut run = c
        .taobao()
        .trades_sold_get_v2_0_pages(taobao::trades_sold_get_v2_0::Request::new("tid"));
    let mut read = 0;
    for _ in 0..2 {
        read += run
            .next()
            .await
            .unwrap()
            .unwrap()
            .into_data()
            .trades
            .unwrap()
            .trade
            .len();
    }
    assert_eq!(read, 200);
    let fault: opengate_mock::Fault = serde_json::from_value(serde_json::json!({
        "api": "taobao.trades.sold.get", "kind": "status", "status": 400
    }))
    .unwrap();
    mock.inject(fault);
    let failed = run.next().await.unwrap();
    assert!(
        matches!(failed, Err(opengate::Error::HttpStatus { status: 400, .. })),
        "{failed:?}"
    );
    assert!(run.next().await.is_none(), "the run ends at the error");
}

fn increment_request() -> taobao::trades_sold_increment_get_v2_0::Request {
    taobao::trades_sold_increment_get_v2_0::Request::new(
        "tid,modified",
        opengate::DateTime::parse_beijing("2024-03-01 00:00:00").unwrap(),
        opengate::DateTime::parse_beijing("2024-03-01 23:59:59").unwrap(),
    )
}

/// 250 trades were modified in the window. After the first call of a run, trades 5 and 6 are
/// modified again: they leave this window (the next window has them) and every later trade moves
/// up two places. A forward loop then misses the two trades that moved from page 2 onto page 1,
/// which it has read already; the generated run, last page first, reads every trade left in the
/// window.
#[tokio::test]
async fn backward_paging_reads_what_a_forward_loop_misses_while_trades_change() {
    use std::collections::BTreeSet;
    let api = "taobao.trades.sold.increment.get";
    let still_in_window: BTreeSet<i64> = (1..=250).filter(|id| ![5, 6].contains(id)).collect();

    // The naive loop: page 1, 2, 3 ... until the total is covered.
    let (mock, c) = client_with(250).await;
    mock.modify_while_paging(api, 1, &[5, 6]);
    let mut forward = BTreeSet::new();
    let mut page = 1;
    loop {
        let reply = c
            .taobao()
            .trades_sold_increment_get_v2_0(increment_request().page_no(page).page_size(100))
            .await
            .unwrap();
        let data = reply.into_data();
        forward.extend(
            data.trades
                .into_iter()
                .flat_map(|t| t.trade)
                .filter_map(|t| t.tid),
        );
        if page * 100 >= data.total_results.unwrap_or(0) {
            break;
        }
        page += 1;
    }
    let missed: Vec<i64> = still_in_window.difference(&forward).copied().collect();
    assert_eq!(missed, [101, 102], "what the forward loop misses");

    // The generated run pages backward by itself.
    let (mock, c) = client_with(250).await;
    mock.modify_while_paging(api, 1, &[5, 6]);
    let mut backward = BTreeSet::new();
    let mut items = std::pin::pin!(c
        .taobao()
        .trades_sold_increment_get_v2_0_pages(increment_request())
        .items());
    while let Some(trade) = items.next().await {
        backward.extend(trade.unwrap().tid);
    }
    let missed: Vec<&i64> = still_in_window.difference(&backward).collect();
    assert!(missed.is_empty(), "backward paging missed {missed:?}");
}

/// Each page is a call through the client's one path, so a platform's rate limit spaces the
/// pages: six pages at 20 QPS take at least five 50 ms gaps (a lower bound only).
#[tokio::test]
async fn pages_respect_the_rate_limit() {
    let (mock, _) = client_with(600).await;
    let client = common::client(&mock, &[("taobao", "qps", "20")]);
    let started = std::time::Instant::now();
    let pages: Vec<_> = client
        .taobao()
        .trades_sold_get_v2_0_pages(taobao::trades_sold_get_v2_0::Request::new("tid"))
        .collect()
        .await;
    assert_eq!(pages.len(), 6);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
}
