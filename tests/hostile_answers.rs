//! A fake gateway on 127.0.0.1 that answers badly: a body without end, a body announced larger
//! than the cap, redirects to another host. The client stops reading at its cap and follows no
//! redirect, failing each call with a typed error that names the API and holds no credential.
//! Each hostile answer, and each hostile request to the mock, is also replayed in a process of
//! its own whose peak memory is measured and bounded.

mod common;

use opengate::wire::TransportError;
use opengate::{Client, Error, RetryPolicy};
use opengate_apis::{douyin, taobao, ClientExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake gateway answers to every request.
#[derive(Clone)]
enum Answer {
    /// `200`, chunked, 64 KiB chunks until the client hangs up.
    Endless,
    /// `200` with this `Content-Length`, and no body.
    Announced(u64),
    /// A redirect with this status to this `Location`.
    Redirect(u16, String),
    /// `200` with this JSON.
    Json(&'static str),
    /// This status with this `Retry-After` for the first `n` requests, then `Json`.
    Busy(u16, &'static str, usize, &'static str),
    /// `200` with this body.
    Body(Arc<Vec<u8>>),
}

/// A fake gateway: its address, every request it read (head and body), and how many body bytes
/// it managed to write.
struct Gateway {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    written: Arc<AtomicUsize>,
}

async fn gateway(answer: Answer) -> Gateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let written = Arc::new(AtomicUsize::new(0));
    let (seen, count) = (requests.clone(), written.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (answer, seen, count) = (answer.clone(), seen.clone(), count.clone());
            tokio::spawn(serve(socket, answer, seen, count));
        }
    });
    Gateway {
        url,
        requests,
        written,
    }
}

async fn serve(
    mut socket: TcpStream,
    answer: Answer,
    seen: Arc<Mutex<Vec<String>>>,
    written: Arc<AtomicUsize>,
) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    seen.lock().unwrap().push(request);
    let head = |status: &str, headers: &str| format!("HTTP/1.1 {status}\r\n{headers}\r\n");
    match answer {
        Answer::Endless => {
            let chunk = vec![b'7'; 64 << 10];
            let start = head(
                "200 OK",
                "content-type: application/json\r\ntransfer-encoding: chunked\r\n",
            );
            if socket.write_all(start.as_bytes()).await.is_err() {
                return;
            }
            loop {
                let framed =
                    [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if socket.write_all(&framed).await.is_err() {
                    return;
                }
                written.fetch_add(chunk.len(), Ordering::Relaxed);
            }
        }
        Answer::Announced(n) => {
            let h = head(
                "200 OK",
                &format!("content-type: application/json\r\ncontent-length: {n}\r\n"),
            );
            let _ = socket.write_all(h.as_bytes()).await;
        }
        Answer::Redirect(status, location) => {
            let h = head(
                &format!("{status} Moved"),
                &format!("location: {location}\r\ncontent-length: 0\r\n"),
            );
            let _ = socket.write_all(h.as_bytes()).await;
        }
        Answer::Busy(status, wait, n, _) if seen.lock().unwrap().len() <= n => {
            let h = head(
                &format!("{status} Busy"),
                &format!("retry-after: {wait}\r\ncontent-length: 0\r\n"),
            );
            let _ = socket.write_all(h.as_bytes()).await;
        }
        Answer::Body(body) => {
            let h = head(
                "200 OK",
                &format!(
                    "content-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                ),
            );
            if socket.write_all(h.as_bytes()).await.is_ok() {
                let _ = socket.write_all(&body).await;
            }
        }
        Answer::Json(body) | Answer::Busy(_, _, _, body) => {
            let h = head(
                "200 OK",
                &format!(
                    "content-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                ),
            );
            let _ = socket
                .write_all([h.as_bytes(), body.as_bytes()].concat().as_slice())
                .await;
        }
    }
}

/// One request's head and body (by its `Content-Length`), as text.
async fn read_request(socket: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return Some(text);
            }
        }
    }
}

/// A client of the test config with every platform pointed at `url`, retries allowed (the
/// errors here must not be retried), and a body cap of 1 MiB.
fn client(url: &str) -> Client {
    let mut config = opengate::Config::from_toml(common::CONFIG, "test").unwrap();
    for platform in ["taobao", "douyin"] {
        config.set(platform, "base_url", url);
    }
    config.set("client", "max_body", (1 << 20).to_string());
    config
        .client_builder()
        .unwrap()
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: std::time::Duration::from_millis(1),
            ..Default::default()
        })
        .build()
        .unwrap()
}

/// `taobao.item.seller.get` through `client(url)`.
async fn seller_get(
    url: &str,
) -> opengate::Result<opengate::Reply<taobao::item_seller_get_v2_0::Response>> {
    let request = taobao::item_seller_get_v2_0::Request::new("num_iid", 1);
    client(url).taobao().item_seller_get_v2_0(request).await
}

/// The transport error under `e`, after checking the error names the API.
fn transport(e: &Error, api: &str) -> TransportError {
    assert!(e.to_string().contains(api), "names the API: {e}");
    match e {
        Error::Transport { source, .. } => source.clone(),
        other => panic!("a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_body_stops_at_the_cap() {
    let gw = gateway(Answer::Endless).await;
    let e = seller_get(&gw.url).await.unwrap_err();
    assert_eq!(
        transport(&e, "taobao.item.seller.get"),
        TransportError::TooLarge { limit: 1 << 20 }
    );
    // Not retried: one request. The gateway wrote the cap and what the sockets' buffers took,
    // not the gigabytes an unbounded read takes in the same time.
    assert_eq!(gw.requests.lock().unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let written = gw.written.load(Ordering::Relaxed);
    assert!(written < 16 << 20, "the gateway wrote {written} bytes");
}

#[tokio::test]
async fn a_body_announced_over_the_cap_is_not_read() {
    let gw = gateway(Answer::Announced(3 << 30)).await;
    let e = seller_get(&gw.url).await.unwrap_err();
    assert_eq!(
        transport(&e, "taobao.item.seller.get"),
        TransportError::TooLarge { limit: 1 << 20 }
    );
}

#[tokio::test]
async fn an_answer_within_the_cap_reads() {
    let gw = gateway(Answer::Json(
        r#"{"item_seller_get_response":{"item":{"num_iid":1,"title":"t"}}}"#,
    ))
    .await;
    let reply = seller_get(&gw.url).await.unwrap();
    assert_eq!(reply.data().item.as_ref().unwrap().num_iid, Some(1));
}

/// A 302 from the gateway: the other host sees nothing (no `Referer` with the session either),
/// and the error names where it pointed without the query.
#[tokio::test]
async fn a_redirect_is_not_followed() {
    let elsewhere = gateway(Answer::Json(r#"{"stolen":true}"#)).await;
    for (status, platform) in [
        (302, "taobao"),
        (307, "douyin"),
        (301, "taobao"),
        (308, "douyin"),
    ] {
        let to = format!("{}/collect?session=tb-session-XYZ&x=1#f", elsewhere.url);
        let gw = gateway(Answer::Redirect(status, to)).await;
        let (e, api) = if platform == "taobao" {
            let e = seller_get(&gw.url).await;
            (e.unwrap_err(), "taobao.item.seller.get")
        } else {
            // Sent with the user's `access-token` header.
            let req = douyin::alliance_kol_buyin_id_v1::Request::new("oid");
            let e = client(&gw.url).douyin().alliance_kol_buyin_id_v1(req).await;
            (e.unwrap_err(), "alliance.kol.buyin_id")
        };
        let text = opengate::error_chain(&e);
        assert_eq!(
            transport(&e, api),
            TransportError::Redirect {
                status,
                location: format!("{}/collect", elsewhere.url)
            },
            "{text}"
        );
        for secret in ["tb-session-XYZ", "act.dy-user-XYZ", "secret-XYZ"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(gw.requests.lock().unwrap().len(), 1, "not retried");
    }
    assert!(elsewhere.requests.lock().unwrap().is_empty());
}

/// `Retry-After` on 429 and 503 is a wait the retry keeps (never sooner), when it is within
/// `max_backoff`; beyond it the call returns at once with `Error::retry_after()`.
#[tokio::test]
async fn retry_after_is_honoured_within_the_backoff() {
    let ok = r#"{"item_seller_get_response":{"item":{"num_iid":1}}}"#;
    for status in [429, 503] {
        let gw = gateway(Answer::Busy(status, "1", 1, ok)).await;
        let started = std::time::Instant::now();
        seller_get(&gw.url).await.unwrap();
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(1),
            "{status}"
        );
        assert_eq!(gw.requests.lock().unwrap().len(), 2);
    }
    // An HTTP date decades ahead: beyond the 5 s backoff.
    let gw = gateway(Answer::Busy(429, "Wed, 21 Oct 2099 07:28:00 GMT", 1, ok)).await;
    let started = std::time::Instant::now();
    let e = seller_get(&gw.url).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(e.kind(), Some(opengate::ErrorKind::RateLimited));
    assert!(
        e.retry_after().unwrap() > std::time::Duration::from_secs(3600),
        "{e:?}"
    );
    assert_eq!(gw.requests.lock().unwrap().len(), 1);
}

/// The hostile answers and requests, each replayed against [`hostile_worker`], a process of
/// its own with the default limits (a 64 MiB body cap, the mock's 64 MiB request log), while
/// this process plays the fake gateway or the mock's hostile client: the worker's peak resident
/// memory (`VmHWM`) stays within the cap plus the floor of a normal call, measured the same
/// way, where an unbounded read had reached 3 GB and the mock's log 367 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hostile_answer_is_replayed_with_bounded_memory() {
    const MIB: u64 = 1 << 20;
    let ok = r#"{"item_seller_get_response":{"item":{"num_iid":1}}}"#;
    let normal = gateway(Answer::Json(ok)).await;
    let floor = worker_peak("normal", &normal.url, None).await;
    eprintln!("normal call: peak {} MiB", floor / MIB);
    // 60 MiB of `[`: within the cap, and the parser stops at its depth limit.
    let deep = Answer::Body(Arc::new(vec![b'['; 60 << 20]));
    // 48 MiB, read whole: a member the typed data skips.
    let large = Answer::Body(Arc::new(
        format!(
            r#"{{"item_seller_get_response":{{"item":{{"num_iid":7}},"filler":"{}"}}}}"#,
            "x".repeat(48 << 20)
        )
        .into_bytes(),
    ));
    // What each may add to the floor: what the scenario must hold (the cap, the body, the
    // log), and as much again for buffers and the allocator.
    let gateways = [
        ("endless", Answer::Endless, 2 * 64 * MIB),
        ("announced", Answer::Announced(3 << 30), 8 * MIB),
        (
            "redirect",
            Answer::Redirect(302, "http://127.0.0.1:9/elsewhere".into()),
            8 * MIB,
        ),
        ("retry_after", Answer::Busy(503, "86400", 10, ok), 8 * MIB),
        ("deep", deep, 2 * 60 * MIB),
        ("within_cap", large, 2 * 48 * MIB),
    ];
    let mut report = Vec::new();
    for (scenario, answer, allowed) in gateways {
        let gw = gateway(answer).await;
        report.push((
            scenario,
            worker_peak(scenario, &gw.url, None).await,
            allowed,
        ));
    }
    let check = |report: Vec<(&str, u64, u64)>, floor: u64, of: &str| {
        for (scenario, peak, allowed) in report {
            eprintln!(
                "{scenario}: peak {} MiB ({} MiB over {of})",
                peak / MIB,
                peak.saturating_sub(floor) / MIB
            );
            assert!(
                peak <= floor + allowed,
                "{scenario}: peak {} MiB, more than {} MiB over {of}'s {} MiB",
                peak / MIB,
                allowed / MIB,
                floor / MIB
            );
        }
    };
    check(report, floor, "a normal call");
    // The mock holds the specs' catalog: its floor is its own, serving nothing.
    let mock_floor = worker_peak("mock_idle", "", Some(MockLoad::Idle)).await;
    eprintln!("idle mock: peak {} MiB", mock_floor / MIB);
    let mut report = Vec::new();
    for (scenario, load, allowed) in [
        ("mock_log", MockLoad::LargeBodies, 2 * 64 * MIB),
        ("mock_half_sent", MockLoad::HalfSent, 32 * MIB),
    ] {
        let peak = worker_peak(scenario, "", Some(load)).await;
        report.push((scenario, peak, allowed));
    }
    check(report, mock_floor, "an idle mock");
}

/// What this process does to a mock that [`hostile_worker`] runs.
#[derive(Clone, Copy)]
enum MockLoad {
    /// Nothing.
    Idle,
    /// 40 requests of 8 MB, one after another.
    LargeBodies,
    /// 400 connections that send half a request's head and wait half a second.
    HalfSent,
}

/// Runs [`hostile_worker`] on `scenario` (its calls going to `url`, or its mock under `load`)
/// and returns its peak resident memory in bytes.
async fn worker_peak(scenario: &str, url: &str, load: Option<MockLoad>) -> u64 {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["hostile_worker", "--exact", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env("HOSTILE_SCENARIO", scenario)
        .env("HOSTILE_URL", url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut value = |key: &str| {
        let key = format!("HOSTILE {key}=");
        lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| Some(l.split(&key).nth(1)?.split_whitespace().next()?.to_owned()))
            .unwrap_or_else(|| panic!("{scenario}: the worker reported no `{key}`"))
    };
    if let Some(load) = load {
        let base = value("mock");
        match load {
            MockLoad::Idle => {}
            MockLoad::LargeBodies => {
                let http = reqwest::Client::new();
                let body = bytes::Bytes::from(vec![b'x'; 8_000_000]);
                for _ in 0..40 {
                    http.post(format!("{base}/router/rest"))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                }
            }
            MockLoad::HalfSent => {
                let addr = base.trim_start_matches("http://").to_owned();
                let mut held = Vec::new();
                for _ in 0..400 {
                    let mut s = TcpStream::connect(&addr).await.unwrap();
                    s.write_all(b"POST /router/rest HTTP/1.1\r\nHost: x\r\nContent-Le")
                        .await
                        .unwrap();
                    held.push(s);
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
    // The worker reports once its stdin closes.
    drop(stdin);
    let kb: u64 = value("peak_kb").parse().unwrap();
    assert!(child.wait().unwrap().success(), "{scenario}");
    kb * 1024
}

/// One scenario of [`each_hostile_answer_is_replayed_with_bounded_memory`], named by
/// `HOSTILE_SCENARIO`: a call to the fake gateway at `HOSTILE_URL`, or a mock (its URL printed
/// as `HOSTILE mock=`) serving until stdin closes. Prints `HOSTILE peak_kb=N`.
#[tokio::test]
#[ignore = "a worker process of each_hostile_answer_is_replayed_with_bounded_memory"]
async fn hostile_worker() {
    let Ok(scenario) = std::env::var("HOSTILE_SCENARIO") else {
        return;
    };
    let mut config = opengate::Config::from_toml(common::CONFIG, "test").unwrap();
    config.set("taobao", "base_url", std::env::var("HOSTILE_URL").unwrap());
    let client = config.client_builder().unwrap().build().unwrap();
    let reply = client
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1));
    let api = "taobao.item.seller.get";
    match scenario.as_str() {
        "normal" => assert_eq!(
            reply.await.unwrap().data().item.as_ref().unwrap().num_iid,
            Some(1)
        ),
        "within_cap" => assert_eq!(
            reply.await.unwrap().data().item.as_ref().unwrap().num_iid,
            Some(7)
        ),
        "endless" => {
            assert!(matches!(
                transport(&reply.await.unwrap_err(), api),
                TransportError::TooLarge { .. }
            ));
        }
        "announced" | "redirect" => {
            transport(&reply.await.unwrap_err(), api);
        }
        "retry_after" => assert!(reply.await.unwrap_err().retry_after().is_some()),
        "deep" => {
            let e = reply.await.unwrap_err();
            assert!(e.to_string().contains(api), "{e}");
        }
        "mock_idle" | "mock_log" | "mock_half_sent" => {
            let mock = common::mock().await;
            println!("\nHOSTILE mock={}", mock.base_url());
            // Serves until the test closes stdin.
            tokio::task::spawn_blocking(|| {
                std::io::copy(&mut std::io::stdin(), &mut std::io::sink())
            })
            .await
            .unwrap()
            .unwrap();
            if scenario == "mock_log" {
                assert_eq!(mock.requests_seen(), 40);
            }
        }
        other => panic!("no scenario `{other}`"),
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap();
    println!("\nHOSTILE peak_kb={kb}");
}
