//! Paging throughput and memory against the mock on loopback (the mock in this process, its
//! request log off): `taobao.trades.sold.get` over a data set of 100,000 trades, 1,000 pages of
//! 100, read three ways side by side in one run:
//!
//! 1. `trades_sold_get_v2_0_pages(..).items()`, the generated stream;
//! 2. the same pages by hand: the typed method in a `page_no` loop (what users write today);
//! 3. the stream again, sampling the resident set every 10,000 items to show it stays flat.
//!
//! `cargo bench --bench paging`. Prints markdown for docs/PERFORMANCE.md.

use opengate::paging::StreamExt;
use opengate_apis::{taobao::trades_sold_get_v2_0 as sold, ClientExt};
use std::time::Instant;

const ITEMS: u64 = 100_000;

const CONFIG: &str = r#"
[taobao]
app_key = "12345678"
app_secret = "tb-secret"
session = "tb-session"
"#;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn stream_items(client: &opengate::Client, mut sample: impl FnMut(u64)) -> u64 {
    let mut n = 0;
    let mut items = std::pin::pin!(client
        .taobao()
        .trades_sold_get_v2_0_pages(sold::Request::new("tid,status"))
        .items());
    while let Some(trade) = items.next().await {
        std::hint::black_box(trade.expect("a page").tid);
        n += 1;
        sample(n);
    }
    n
}

async fn loop_by_hand(client: &opengate::Client) -> u64 {
    let (mut n, mut page) = (0, 1);
    loop {
        let reply = client
            .taobao()
            .trades_sold_get_v2_0(
                sold::Request::new("tid,status")
                    .page_no(page)
                    .page_size(100),
            )
            .await
            .expect("a page");
        let data = reply.into_data();
        let trades = data.trades.map(|t| t.trade).unwrap_or_default();
        for t in &trades {
            std::hint::black_box(t.tid);
        }
        n += trades.len() as u64;
        if trades.is_empty() || data.has_next == Some(false) {
            return n;
        }
        page += 1;
    }
}

/// One table row: `n` items (all of them) read since `started`.
fn row(how: &str, round: u32, n: u64, started: Instant) {
    let s = started.elapsed().as_secs_f64();
    assert_eq!(n, ITEMS);
    println!(
        "| {how}, round {round} | {n} | {} | {s:.2} s | {:.0} |",
        n / 100,
        n as f64 / s
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let config = format!("{CONFIG}\n[mock]\npage_items = {ITEMS}\nrequest_log = 0\n");
    let mock = opengate_mock::MockGateway::new(&specs, &config)
        .unwrap()
        .start(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let mut c = opengate::Config::from_toml(CONFIG, "bench").unwrap();
    c.set("taobao", "base_url", mock.base_url());
    let client = c.client_builder().unwrap().build().unwrap();

    // Warm-up: connections, the mock's first pages.
    let _ = stream_items(&client, |_| {}).await;

    println!("| run | items | pages | time | items/s |");
    println!("|---|---|---|---|---|");
    for round in 1..=2 {
        let t = Instant::now();
        row(
            "`_pages(..).items()`",
            round,
            stream_items(&client, |_| {}).await,
            t,
        );
        let t = Instant::now();
        row(
            "typed method in a `page_no` loop",
            round,
            loop_by_hand(&client).await,
            t,
        );
    }

    let mut samples = Vec::new();
    let before = rss_kib();
    let n = stream_items(&client, |n| {
        if n % 10_000 == 0 {
            samples.push((n, rss_kib()));
        }
    })
    .await;
    assert_eq!(n, ITEMS);
    println!();
    println!("Resident set while streaming {ITEMS} items (before: {before} KiB):");
    println!();
    println!("| items read | RSS (KiB) |");
    println!("|---|---|");
    for (n, kib) in &samples {
        println!("| {n} | {kib} |");
    }
}
