//! Push receiver throughput and memory: Doudian order pushes (a 101 "paid" message with a
//! realistic payload) verified (md5 `event-sign`), deduplicated in memory, read into the
//! generated typed message by the handler, and acknowledged.
//!
//! 1. in process: `Receiver::receive` on one task, then on 2 cores with 64 tasks;
//! 2. over HTTP on loopback: the receiver's tower service under hyper, 64 keep-alive clients;
//! 3. memory: 10,000 deliveries in flight at once (every handler waiting), resident set before
//!    and at the peak.
//!
//! `cargo bench --bench push_receiver`. Prints markdown for docs/PERFORMANCE.md.

use bytes::Bytes;
use md5::{Digest, Md5};
use opengate::platform::doudian::DoudianPush;
use opengate::push::{Push, Receiver};
use opengate_apis::doudian::messages::Message;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const APP_KEY: &str = "7000000000000000001";
const SECRET: &str = "bench-secret";

/// A signed delivery of message `i`: its body and `event-sign`.
fn delivery(i: usize) -> (Bytes, String) {
    let data = format!(
        r#"{{"p_id":{},"s_ids":[{},{}],"shop_id":100200,"create_time":1733200000,"order_status":2,"order_type":0,"biz":2}}"#,
        6918000000000000000u64 + i as u64,
        6918100000000000000u64 + i as u64,
        6918200000000000000u64 + i as u64
    );
    let body = serde_json::json!([{"tag": "101", "msg_id": format!("7{i:018}"), "data": data}])
        .to_string();
    let sign = hex::encode(Md5::digest(format!("{APP_KEY}{body}{SECRET}")));
    (Bytes::from(body), sign)
}

fn headers(sign: &str) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("content-type", "application/json".parse().unwrap());
    h.insert("event-sign", sign.parse().unwrap());
    h
}

/// A receiver whose handler reads the typed message and counts it; `gate`, when given, holds
/// every handler until it opens.
fn receiver(count: Arc<AtomicUsize>, gate: Option<Arc<tokio::sync::Semaphore>>) -> Receiver {
    let rules = Arc::new(DoudianPush::new("doudian", APP_KEY, SECRET.into()));
    Receiver::builder(rules)
        .handler_timeout(std::time::Duration::from_secs(600))
        .build(move |push: Push| {
            let (count, gate) = (count.clone(), gate.clone());
            async move {
                let Message::TradePaid(m) = Message::from_push(&push)? else {
                    return Err("not a 101".into());
                };
                if let Some(g) = gate {
                    let _held = g.acquire().await?;
                }
                std::hint::black_box(m.p_id);
                count.fetch_add(1, Ordering::Relaxed);
                Ok::<(), opengate::push::BoxError>(())
            }
        })
}

async fn receive(r: &Receiver, body: &Bytes, sign: &str) -> u16 {
    let h = headers(sign);
    let a = r
        .receive(opengate::push::Delivery {
            headers: &h,
            query: None,
            body,
        })
        .await;
    assert_eq!(&a.body[..], br#"{"code":0,"msg":"success"}"#);
    a.status
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let n = 100_000;
    let inputs: Vec<(Bytes, String)> = (0..n).map(delivery).collect();
    println!(
        "{n} Doudian 101 pushes of {} bytes each\n",
        inputs[0].0.len()
    );
    println!("| how | pushes/s | µs per push |\n|---|---:|---:|");

    // One task: the receiver's own cost per push.
    rt.block_on(async {
        let count = Arc::new(AtomicUsize::new(0));
        let r = receiver(count.clone(), None);
        let t = Instant::now();
        for (body, sign) in &inputs {
            receive(&r, body, sign).await;
        }
        let s = t.elapsed().as_secs_f64();
        assert_eq!(count.load(Ordering::Relaxed), n);
        println!(
            "| in process, 1 task | {:.0} | {:.2} |",
            n as f64 / s,
            s * 1e6 / n as f64
        );
    });

    // 64 tasks on 2 cores.
    let inputs = Arc::new(inputs);
    rt.block_on(async {
        let count = Arc::new(AtomicUsize::new(0));
        let r = receiver(count.clone(), None);
        let t = Instant::now();
        let tasks: Vec<_> = (0..64)
            .map(|k| {
                let (r, inputs) = (r.clone(), inputs.clone());
                tokio::spawn(async move {
                    for (body, sign) in inputs.iter().skip(k).step_by(64) {
                        receive(&r, body, sign).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let s = t.elapsed().as_secs_f64();
        assert_eq!(count.load(Ordering::Relaxed), n);
        println!(
            "| in process, 64 tasks, 2 cores | {:.0} | {:.2} |",
            n as f64 / s,
            s * 1e6 / n as f64
        );
    });

    // Over HTTP: hyper serving the tower service on its own runtime thread, reqwest clients here.
    let addr = {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let srt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            srt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let r = receiver(Arc::new(AtomicUsize::new(0)), None);
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    let svc = hyper_util::service::TowerToHyperService::new(r.service());
                    tokio::spawn(async move {
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, svc)
                            .await;
                    });
                }
            });
        });
        rx.recv().unwrap()
    };
    rt.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/push");
        let http_n = 40_000;
        let t = Instant::now();
        let tasks: Vec<_> = (0..64)
            .map(|k| {
                let (client, url, inputs) = (client.clone(), url.clone(), inputs.clone());
                tokio::spawn(async move {
                    for (body, sign) in inputs.iter().take(http_n).skip(k).step_by(64) {
                        let resp = client
                            .post(&url)
                            .header("content-type", "application/json")
                            .header("event-sign", sign)
                            .body(body.clone())
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(resp.status(), 200);
                        let b = resp.bytes().await.unwrap();
                        assert_eq!(&b[..], br#"{"code":0,"msg":"success"}"#);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "| HTTP on loopback, 64 clients (server on 1 thread, clients on 2) | {:.0} | {:.2} |",
            http_n as f64 / s,
            s * 1e6 / http_n as f64
        );
    });

    // 10,000 in flight: every handler holds until all have arrived.
    rt.block_on(async {
        let in_flight = 10_000;
        let count = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let r = receiver(count.clone(), Some(gate.clone()));
        let before = rss_kib();
        let tasks: Vec<_> = (0..in_flight)
            .map(|i| {
                let (r, inputs) = (r.clone(), inputs.clone());
                tokio::spawn(async move {
                    let (body, sign) = &inputs[50_000 + i];
                    receive(&r, body, sign).await
                })
            })
            .collect();
        // Wait until every handler is parked on the gate.
        while gate.available_permits() == 0 && Arc::strong_count(&gate) < in_flight + 2 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let peak = rss_kib();
        gate.add_permits(in_flight);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(count.load(Ordering::Relaxed), in_flight);
        println!(
            "\n{in_flight} deliveries in flight at once: resident set {:.1} MiB before, {:.1} MiB at the peak: {:.1} KiB per delivery in flight (the body, the task, the dedup claim, the handler's future).",
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            (peak.saturating_sub(before)) as f64 / in_flight as f64
        );
    });
}
