//! Per-call client CPU of a generated call against a hand-written reqwest + serde baseline doing the
//! same request (system params, md5 sign, form body, 2 KB JSON answer decoded into structs), both
//! against one loopback server in one run; signing cost; requests/s with 64 concurrent tasks.
//!
//! `cargo bench --bench call_overhead`. Prints markdown for docs/PERFORMANCE.md.

use opengate::platform::taobao::{Taobao, TaobaoSignMethod};
use opengate_apis::{taobao::trade_fullinfo_get_v2_0 as fullinfo, ClientExt};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "bench-secret";
/// Orders in the answer: 12 make it about 2 KB.
const ORDERS: usize = 12;

/// A 2 KB Taobao answer.
fn answer() -> String {
    let orders: Vec<String> = (0..ORDERS)
        .map(|i| format!(r#"{{"oid":{},"title":"商品标题 product title number {i}","num":{},"price":"{}.50","payment":"{}.00","status":"WAIT_SELLER_SEND_GOODS"}}"#, 1000 + i, i + 1, 10 + i, 20 + i))
        .collect();
    let body = format!(
        r#"{{"trade_fullinfo_get_response":{{"trade":{{"tid":123456789012,"type":"fixed","status":"WAIT_SELLER_SEND_GOODS","payment":"199.00","total_fee":"210.00","post_fee":"11.00","created":"2024-03-01 12:00:00","pay_time":"2024-03-01 12:01:00","buyer_nick":"买家昵称","receiver_state":"浙江省","orders":{{"order":[{}]}}}}}}}}"#,
        orders.join(",")
    );
    assert!(
        (1800..2400).contains(&body.len()),
        "answer is {} bytes",
        body.len()
    );
    body
}

/// A loopback HTTP/1.1 server on its own thread and runtime (its CPU is not the client's).
fn serve() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let body = Arc::new(answer());
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 16384];
                    loop {
                        // Read a head, then a body of content-length, then answer.
                        let head_end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            match s.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                        let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap_or(0));
                        while buf.len() < head_end + len {
                            match s.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        buf.drain(..head_end + len);
                        let resp = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}", body.len(), body);
                        if s.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

// ---------------------------------------------------------------- the hand-written baseline

#[derive(Deserialize)]
#[allow(dead_code)]
struct BaseEnvelope {
    trade_fullinfo_get_response: BaseResponse,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct BaseResponse {
    trade: BaseTrade,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct BaseTrade {
    tid: i64,
    #[serde(rename = "type")]
    kind: String,
    status: String,
    payment: rust_decimal::Decimal,
    total_fee: rust_decimal::Decimal,
    post_fee: rust_decimal::Decimal,
    created: String,
    pay_time: String,
    buyer_nick: String,
    receiver_state: String,
    orders: BaseOrders,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct BaseOrders {
    order: Vec<BaseOrder>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct BaseOrder {
    oid: i64,
    title: String,
    num: i64,
    price: rust_decimal::Decimal,
    payment: rust_decimal::Decimal,
    status: String,
}

async fn baseline_call(http: &reqwest::Client, base: &str) -> BaseTrade {
    let timestamp = opengate::beijing_timestamp(std::time::SystemTime::now());
    let mut params: Vec<(&str, String)> = vec![
        ("method", "taobao.trade.fullinfo.get".into()),
        ("app_key", "12345678".into()),
        ("timestamp", timestamp),
        ("v", "2.0".into()),
        ("sign_method", "md5".into()),
        ("format", "json".into()),
        ("session", "bench-session".into()),
        ("fields", "tid,type,status,payment,orders".into()),
        ("tid", "123456789012".into()),
    ];
    params.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = String::from(SECRET);
    for (k, v) in &params {
        s.push_str(k);
        s.push_str(v);
    }
    s.push_str(SECRET);
    use md5::Digest;
    let sign = hex::encode_upper(md5::Md5::digest(s.as_bytes()));
    let (system, business): (Vec<_>, Vec<_>) = params
        .into_iter()
        .partition(|(k, _)| !matches!(*k, "fields" | "tid"));
    let mut url = reqwest::Url::parse(&format!("{base}/router/rest")).unwrap();
    url.query_pairs_mut()
        .extend_pairs(system.iter().map(|(k, v)| (*k, v.as_str())))
        .append_pair("sign", &sign);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(business.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let resp = http
        .post(url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=UTF-8",
        )
        .body(body)
        // A production client sets a timeout; opengate always does (30 s by default).
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    let bytes = resp.bytes().await.unwrap();
    serde_json::from_slice::<BaseEnvelope>(&bytes)
        .unwrap()
        .trade_fullinfo_get_response
        .trade
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn thread_cpu() -> Duration {
    cpu_time::ThreadTime::now().as_duration()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let base = serve();
    let mut config = opengate::Config::from_toml(
        &format!("[taobao]\napp_key = \"12345678\"\napp_secret = \"{SECRET}\"\nsign_method = \"md5\"\nsession = \"bench-session\"\nbase_url = \"{base}\"\n"),
        "bench",
    )
    .unwrap();
    config.set("taobao", "base_url", &base);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async { config.client_builder().unwrap().build().unwrap() });
    let http = reqwest::Client::new();

    let ours = || async {
        let r = client
            .taobao()
            .trade_fullinfo_get_v2_0(fullinfo::Request::new(
                "tid,type,status,payment,orders",
                123456789012,
            ))
            .await
            .unwrap();
        assert_eq!(
            r.trade
                .as_ref()
                .unwrap()
                .orders
                .as_ref()
                .unwrap()
                .order
                .len(),
            ORDERS
        );
    };
    let theirs = || async {
        assert_eq!(baseline_call(&http, &base).await.orders.order.len(), ORDERS);
    };

    // Warm up both (connections, allocator).
    rt.block_on(async {
        for _ in 0..300 {
            ours().await;
            theirs().await;
        }
    });
    // The clients take turns in blocks of 10 calls (the one that starts alternates), each block
    // timed on its own, so that both see the same machine: this one is shared, and a noisy
    // neighbour comes and goes within a second. A round is 300 calls of each; the ratio is the
    // median of the rounds' ratios.
    let (rounds, blocks, block) = (41, 30, 10);
    let per_round = blocks * block;
    let (mut cpu_ours, mut cpu_base, mut wall_ours, mut wall_base, mut ratios) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let mut spent = [(Duration::ZERO, Duration::ZERO); 2];
        for turn in 0..2 * blocks {
            let ours_turn = (turn + turn / 2) % 2 == 0;
            let (c, w) = (thread_cpu(), Instant::now());
            rt.block_on(async {
                for _ in 0..block {
                    if ours_turn {
                        ours().await;
                    } else {
                        theirs().await;
                    }
                }
            });
            let side = &mut spent[usize::from(!ours_turn)];
            side.0 += thread_cpu() - c;
            side.1 += w.elapsed();
        }
        let [(co, wo), (cb, wb)] = spent;
        ratios.push(co.as_secs_f64() / cb.as_secs_f64());
        cpu_ours.push(co);
        cpu_base.push(cb);
        wall_ours.push(wo);
        wall_base.push(wb);
    }
    let us = |v: Vec<Duration>| median(v).as_secs_f64() * 1e6 / f64::from(per_round);
    let (cpu_ours, cpu_base, wall_ours, wall_base) =
        (us(cpu_ours), us(cpu_base), us(wall_ours), us(wall_base));
    ratios.sort_by(f64::total_cmp);
    let cpu_ratio = ratios[ratios.len() / 2];

    // Signing: 10 params, each method.
    let params: Vec<(String, String)> = (0..10)
        .map(|i| (format!("param_{i}"), format!("value-{i}-中文")))
        .collect();
    let sign_ns = |m: TaobaoSignMethod| {
        let n = 200_000;
        let t = Instant::now();
        let mut acc = 0usize;
        for _ in 0..n {
            acc += Taobao::sign("secret", m, std::hint::black_box(&params), None).len();
        }
        assert!(acc > 0);
        t.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    };

    // Throughput: 64 concurrent tasks on a 2-worker runtime; each client is warmed up (64
    // connections), then runs alternate and the medians count.
    let mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tasks, each) = (64, 40);
    let ours_mt = mt.block_on(async { config.client_builder().unwrap().build().unwrap() });
    let http_mt = reqwest::Client::new();
    let burst = |ours_turn: bool| {
        mt.block_on(async {
            let t = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let (c, http, base) = (ours_mt.clone(), http_mt.clone(), base.clone());
                    tokio::spawn(async move {
                        for _ in 0..each {
                            if ours_turn {
                                c.taobao()
                                    .trade_fullinfo_get_v2_0(fullinfo::Request::new(
                                        "tid,type,status,payment,orders",
                                        123456789012,
                                    ))
                                    .await
                                    .unwrap();
                            } else {
                                baseline_call(&http, &base).await;
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
            f64::from(tasks * each) / t.elapsed().as_secs_f64()
        })
    };
    burst(true);
    burst(false);
    let (mut rps_ours, mut rps_base) = (Vec::new(), Vec::new());
    for round in 0..7 {
        if round % 2 == 0 {
            rps_ours.push(burst(true));
            rps_base.push(burst(false));
        } else {
            rps_base.push(burst(false));
            rps_ours.push(burst(true));
        }
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (rps_ours, rps_base) = (mid(rps_ours), mid(rps_base));

    println!(
        "| measure (median of {rounds} rounds) | opengate | hand-written reqwest + serde | ratio |"
    );
    println!("|---|---|---|---|");
    println!("| client CPU per call | {cpu_ours:.1} µs | {cpu_base:.1} µs | {cpu_ratio:.3} |");
    println!(
        "| wall time per call (sequential) | {wall_ours:.1} µs | {wall_base:.1} µs | {:.2} |",
        wall_ours / wall_base
    );
    println!(
        "| requests/s, 64 concurrent tasks | {rps_ours:.0} | {rps_base:.0} | {:.2} |",
        rps_ours / rps_base
    );
    println!();
    println!("| signing, 10 params | time per signature |");
    println!("|---|---|");
    for m in [
        TaobaoSignMethod::Md5,
        TaobaoSignMethod::Hmac,
        TaobaoSignMethod::HmacSha256,
    ] {
        println!("| Taobao {} | {:.2} µs |", m.as_str(), sign_ns(m) / 1000.0);
    }
}
