//! The token stores at fleet scale, side by side in one run against the in-process mock and a
//! real `redis-server`: the client's time per call with a valid token (memory store vs Redis
//! store: a valid cached token costs no Redis round trip), and grants and refreshes per second
//! for 10,000 shops (200 at a time).
//!
//! `cargo bench --features redis --bench token_store`. Prints markdown for docs/PERFORMANCE.md.

#[path = "../tests/common/redis_server.rs"]
mod redis_server;

use futures::stream::{self, StreamExt};
use opengate_apis::youzan::logistics_expressbyorderno_get_v3_0_0 as express;
use opengate_apis::ClientExt;
use redis_server::RedisServer;
use std::path::Path;
use std::time::Instant;

const SHOPS: usize = 10_000;
const CALLS: usize = 2_000;

fn config(shops: &[String]) -> String {
    format!(
        "[youzan]\nclient_id = \"yz-client\"\nclient_secret = \"yz-secret\"\ngrant_id = \"42587152\"\nshops = \"{}\"\n\n[mock]\nrequest_log = 0\n",
        shops.join(",")
    )
}

fn client(
    mock: &opengate_mock::MockHandle,
    config: &str,
    redis: Option<&RedisServer>,
) -> opengate::Client {
    let mut c = opengate::Config::from_toml(config, "bench").unwrap();
    c.set("youzan", "base_url", mock.base_url());
    if let Some(redis) = redis {
        c.set("client", "token_store", redis.url());
    }
    c.client_builder().unwrap().build().unwrap()
}

async fn call(client: &opengate::Client, shop: &str) {
    client
        .shop(shop)
        .youzan()
        .logistics_expressbyorderno_get_v3_0_0(express::Request::new("E1"))
        .await
        .unwrap();
}

/// Microseconds per call, sequential, with the shop's token valid and cached.
async fn per_call(client: &opengate::Client) -> f64 {
    call(client, "1").await;
    let start = Instant::now();
    for _ in 0..CALLS {
        call(client, "1").await;
    }
    start.elapsed().as_secs_f64() * 1e6 / CALLS as f64
}

/// Calls every shop once, 200 at a time; shops per second.
async fn every_shop(client: &opengate::Client, shops: &[String]) -> f64 {
    let start = Instant::now();
    stream::iter(shops)
        .for_each_concurrent(200, |shop| call(client, shop))
        .await;
    shops.len() as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let shops: Vec<String> = (0..SHOPS).map(|i| (100_000 + i).to_string()).collect();
        let mut listed = shops.clone();
        listed.push("1".into());
        let config = config(&listed);
        let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let mock = opengate_mock::MockGateway::new(&specs, &config)
            .unwrap()
            .start(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let redis = RedisServer::start();
        let memory = client(&mock, &config, None);
        let shared = client(&mock, &config, Some(&redis));

        println!("| measure (one run, {CALLS} calls / {SHOPS} shops) | memory store | Redis store |");
        println!("|---|---|---|");
        let (m, r) = (per_call(&memory).await, per_call(&shared).await);
        println!("| µs per call, valid cached token | {m:.1} | {r:.1} |");
        let (m, r) = (every_shop(&memory, &shops).await, every_shop(&shared, &shops).await);
        println!("| first grants per second (silent grant, lease, save) | {m:.0} | {r:.0} |");
        mock.expire_tokens();
        let (m, r) = (every_shop(&memory, &shops).await, every_shop(&shared, &shops).await);
        println!("| refreshes per second (rejected call, lease, refresh, swap, retry) | {m:.0} | {r:.0} |");
    });
}
