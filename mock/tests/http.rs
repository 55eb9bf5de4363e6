//! The mock's HTTP against real clients: ApacheBench (HTTP/1.0, with and without keep-alive),
//! curl on one kept-alive connection, and a raw socket for `Expect: 100-continue`, 413 and the
//! truncated-answer fault.
//!
//! `ab` is the Debian package apache2-utils; `.ci/run` installs it when it is missing.

use md5::{Digest, Md5};
use opengate_mock::{Fault, FaultKind, MockGateway, MockHandle};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONFIG: &str = "[taobao]\napp_key = \"12345678\"\napp_secret = \"mock-secret\"\nsession = \"sess-1\"\n\n[mock]\nrequest_log = 1000\nmax_body_bytes = 65536\n";

async fn start() -> MockHandle {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    MockGateway::new(&specs, CONFIG)
        .expect("the mock loads the specs")
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("the mock binds a loopback port")
}

/// A signed `taobao.item.seller.get` as the query of a GET: the mock verifies it in full
/// (signature, timestamp within 10 minutes, session), so every request is a real call.
fn signed_query() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut params = vec![
        ("app_key", "12345678".to_owned()),
        ("fields", "num_iid".to_owned()),
        ("format", "json".to_owned()),
        ("method", "taobao.item.seller.get".to_owned()),
        ("num_iid", "1".to_owned()),
        ("session", "sess-1".to_owned()),
        ("sign_method", "md5".to_owned()),
        ("timestamp", ms.to_string()),
        ("v", "2.0".to_owned()),
    ];
    params.sort();
    let joined: String = params.iter().map(|(k, v)| format!("{k}{v}")).collect();
    let digest = Md5::digest(format!("mock-secret{joined}mock-secret"));
    params.push(("sign", hex::encode_upper(digest)));
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn url(mock: &MockHandle) -> String {
    format!("{}/router/rest?{}", mock.base_url(), signed_query())
}

/// Runs a program to its end on a blocking thread, so the mock keeps serving meanwhile.
async fn run(program: &'static str, args: Vec<String>) -> String {
    let out = tokio::task::spawn_blocking(move || Command::new(program).args(&args).output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{program} could not be started ({e}); .ci/run installs it"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The number after `label` in ApacheBench's report.
fn ab_figure(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in the report:\n{report}"))
}

async fn ab(mock: &MockHandle, requests: u64, keep_alive: bool) {
    let mut args = vec![
        "-q".to_owned(),
        "-n".to_owned(),
        requests.to_string(),
        "-c".to_owned(),
        "8".to_owned(),
        // A stalled connection fails the run instead of hanging it.
        "-s".to_owned(),
        "5".to_owned(),
    ];
    if keep_alive {
        args.push("-k".to_owned());
    }
    args.push(url(mock));
    let report = run("ab", args).await;
    assert_eq!(
        ab_figure(&report, "Complete requests:"),
        requests,
        "{report}"
    );
    assert_eq!(ab_figure(&report, "Failed requests:"), 0, "{report}");
    assert!(!report.contains("Non-2xx responses"), "{report}");
    if keep_alive {
        assert_eq!(
            ab_figure(&report, "Keep-Alive requests:"),
            requests,
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_bench_completes_with_and_without_keep_alive_and_the_log_stays_bounded() {
    let mock = start().await;
    ab(&mock, 10_000, false).await;
    ab(&mock, 10_000, true).await;
    ab(&mock, 30_000, true).await;
    assert_eq!(mock.requests_seen(), 50_000);
    let log = mock.requests();
    assert_eq!(
        log.len(),
        1000,
        "the log keeps `[mock] request_log` records"
    );
    assert!(
        log.iter()
            .all(|r| r.verified && r.api.as_deref() == Some("taobao.item.seller.get")),
        "every request was a verified call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sequential_requests_on_one_connection_take_well_under_a_second() {
    let mock = start().await;
    let url = url(&mock);
    // curl reuses its connection for the URLs of one command; `num_connects` proves it.
    let mut args = vec![
        "-s".to_owned(),
        "-w".to_owned(),
        "%{num_connects} %{http_code}\\n".to_owned(),
    ];
    for _ in 0..200 {
        args.extend(["-o".to_owned(), "/dev/null".to_owned(), url.clone()]);
    }
    let started = Instant::now();
    let out = run("curl", args).await;
    let elapsed = started.elapsed();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 200, "{out}");
    assert!(lines.iter().all(|l| l.ends_with(" 200")), "{out}");
    let connects: u32 = lines
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse::<u32>().unwrap())
        .sum();
    assert_eq!(connects, 1, "one connection for all 200 requests");
    // 44 ms a request before (Nagle against the delayed ACK): 8.8 s.
    assert!(
        elapsed < Duration::from_secs(1),
        "200 requests took {elapsed:?}"
    );
    assert_eq!(mock.requests_seen(), 200);
}

/// Reads what the server sends within `wait`, or until it closes.
async fn read_some(stream: &mut TcpStream, wait: Duration) -> String {
    let mut buf = vec![0u8; 65536];
    match tokio::time::timeout(wait, stream.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Ok(Err(e)) => panic!("read failed: {e}"),
        Err(_) => String::new(),
    }
}

#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let mock = start().await;
    let body = signed_query();
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let head = format!(
        "POST /router/rest HTTP/1.1\r\nHost: mock\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // A client that hears nothing waits a second (curl) before sending the body anyway.
    let interim = read_some(&mut stream, Duration::from_millis(500)).await;
    assert!(
        interim.starts_with("HTTP/1.1 100 Continue\r\n"),
        "got {interim:?}"
    );
    stream.write_all(body.as_bytes()).await.unwrap();
    let answer = read_some(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("item_seller_get_response"), "{answer}");
}

#[tokio::test]
async fn an_http_1_0_request_is_answered_and_the_connection_closed() {
    let mock = start().await;
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let request = format!("GET /router/rest?{} HTTP/1.0\r\n\r\n", signed_query());
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes an HTTP/1.0 connection after its answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.0 200 OK\r\n"), "{answer}");
    assert!(answer.contains("item_seller_get_response"), "{answer}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_and_not_recorded() {
    let mock = start().await;
    // Announced: refused from the head, the body never read.
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(b"POST /router/rest HTTP/1.1\r\nHost: mock\r\nContent-Length: 65537\r\nExpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let answer = read_some(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{answer}"
    );
    assert!(answer.contains("connection: close"), "{answer}");

    // Chunked: refused once the limit is passed.
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(
            b"POST /router/rest HTTP/1.1\r\nHost: mock\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = format!("1000\r\n{}\r\n", "a".repeat(0x1000));
    for _ in 0..17 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let answer = read_some(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{answer}"
    );

    // Within the limit, the same server answers.
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let body = signed_query();
    let request = format!(
        "POST /router/rest HTTP/1.1\r\nHost: mock\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_some(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert_eq!(mock.requests_seen(), 1, "refused bodies reach no handler");
}

#[tokio::test]
async fn a_truncated_answer_announces_its_length_sends_half_and_closes() {
    let mock = start().await;
    mock.inject(Fault {
        api: None,
        kind: FaultKind::Truncate,
        times: 1,
    });
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let request = format!(
        "GET /router/rest?{} HTTP/1.1\r\nHost: mock\r\n\r\n",
        signed_query()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // The peer may end with a reset once the half is sent: what arrived before it counts.
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection after the half");
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole head arrives");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let announced: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("the full length is announced")
        .parse()
        .unwrap();
    assert!(!body.is_empty(), "part of the body arrives");
    assert_eq!(body.len(), announced / 2, "{body}");
}
