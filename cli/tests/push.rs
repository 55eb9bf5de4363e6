//! `opengate push verify` and `opengate push listen`, driven as the README documents them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_opengate");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn opengate(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("OPENGATE_CONFIG")
        .current_dir(root())
        .output()
        .expect("run opengate")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A push vector in the format of the platforms' public vectors file.
#[derive(Clone)]
struct Vector {
    id: u64,
    platform: String,
    app: (String, String),
    body: String,
    secret: String,
    signature: String,
}

fn vectors_in(file: &Path) -> Vec<Vector> {
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    all.iter()
        .filter(|v| {
            v["algorithm"]
                .as_str()
                .is_some_and(|a| a.starts_with("push"))
        })
        .map(|v| {
            let platform = v["platform"].as_str().unwrap().to_owned();
            let key = match platform.as_str() {
                "youzan" => "client_id",
                "doudian" => "app_key",
                other => panic!("a push vector of {other}: teach this test its header"),
            };
            Vector {
                id: v["id"].as_u64().unwrap(),
                app: (
                    key.to_owned(),
                    v["params"][key].as_str().unwrap().to_owned(),
                ),
                body: v["params"]["body"].as_str().unwrap().to_owned(),
                secret: v["secret"].as_str().unwrap().to_owned(),
                signature: v["expected_signature"].as_str().unwrap().to_owned(),
                platform,
            }
        })
        .collect()
}

/// The fixture (a copy of the public push vectors), and the public file itself when this
/// checkout sits next to it.
fn vectors() -> Vec<Vector> {
    let mut v =
        vectors_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/push-vectors.json"));
    let public = root().join("../shared/protocols/vectors-public.json");
    if public.exists() {
        v.extend(vectors_in(&public));
    } else {
        eprintln!(
            "note: {} is absent; the fixture's vectors only",
            public.display()
        );
    }
    assert!(v.len() >= 2);
    v
}

fn secret_key(platform: &str) -> &'static str {
    if platform == "youzan" {
        "client_secret"
    } else {
        "app_secret"
    }
}

fn header_name(platform: &str) -> &'static str {
    if platform == "youzan" {
        "Event-Sign"
    } else {
        "event-sign"
    }
}

/// Runs `push verify` for a vector with a changed body, signature or secret.
fn verify(v: &Vector, body: &[u8], signature: &str, secret: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("opengate.toml");
    let secret_key = secret_key(&v.platform);
    std::fs::write(
        &config,
        format!(
            "[{}]\n{} = \"{}\"\n{secret_key} = \"{secret}\"\n",
            v.platform, v.app.0, v.app.1
        ),
    )
    .unwrap();
    let body_file = dir.path().join("body");
    std::fs::write(&body_file, body).unwrap();
    let header = format!("{}={signature}", header_name(&v.platform));
    opengate(&[
        "--config",
        config.to_str().unwrap(),
        "push",
        "verify",
        &v.platform,
        "--body-file",
        body_file.to_str().unwrap(),
        "--header",
        &header,
    ])
}

fn flipped(s: &str, at: usize) -> Vec<u8> {
    let mut b = s.as_bytes().to_vec();
    b[at] ^= 0x01;
    b
}

#[test]
fn every_public_push_vector_verifies_and_any_one_byte_change_fails() {
    for v in vectors() {
        let ok = verify(&v, v.body.as_bytes(), &v.signature, &v.secret);
        assert_eq!(
            ok.status.code(),
            Some(0),
            "vector {}: {}",
            v.id,
            text(&ok.stderr)
        );
        let lines: Vec<serde_json::Value> = text(&ok.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!lines.is_empty(), "vector {}", v.id);
        for l in &lines {
            assert_eq!(l["platform"], v.platform.as_str());
            assert!(l["kind"].is_string() && l["id"].is_string(), "{l}");
        }
        for at in [0, v.body.len() / 2, v.body.len() - 1] {
            let bad = verify(&v, &flipped(&v.body, at), &v.signature, &v.secret);
            assert_eq!(bad.status.code(), Some(1), "vector {} body byte {at}", v.id);
            assert!(
                text(&bad.stderr).contains("signature"),
                "{}",
                text(&bad.stderr)
            );
            assert!(bad.stdout.is_empty());
        }
        let sign = String::from_utf8(flipped(&v.signature, 3)).unwrap();
        let bad = verify(&v, v.body.as_bytes(), &sign, &v.secret);
        assert_eq!(bad.status.code(), Some(1), "vector {} header", v.id);
        let secret = String::from_utf8(flipped(&v.secret, 0)).unwrap();
        let bad = verify(&v, v.body.as_bytes(), &v.signature, &secret);
        assert_eq!(bad.status.code(), Some(1), "vector {} secret", v.id);
    }
}

#[test]
fn youzan_legacy_in_body_sign_verifies_without_a_header() {
    use md5::{Digest, Md5};
    let msg = "%7B%22tid%22%3A%22E9%22%7D";
    let sign = hex::encode(Md5::digest(format!("cid{msg}sec")));
    let body = format!(
        r#"{{"client_id":"cid","id":"E9","kdt_id":7,"msg":"{msg}","sign":"{sign}","status":"WAIT","test":false,"type":"trade_TradeCreate","version":5}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[youzan]\nclient_id = \"cid\"\nclient_secret = \"sec\"\n",
    )
    .unwrap();
    let run = |body: &str| {
        let file = dir.path().join("body");
        std::fs::write(&file, body).unwrap();
        let c = config.to_str().unwrap();
        opengate(&[
            "--config",
            c,
            "push",
            "verify",
            "youzan",
            "--body-file",
            file.to_str().unwrap(),
        ])
    };
    let ok = run(&body);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let line: serde_json::Value = serde_json::from_str(text(&ok.stdout).trim()).unwrap();
    assert_eq!(line["payload"]["tid"], "E9");
    assert_eq!(line["shop"], "7");
    let forged = run(&body.replace("%22E9%22", "%22E8%22"));
    assert_eq!(forged.status.code(), Some(1), "{}", text(&forged.stderr));
}

#[test]
fn bad_input_is_exit_3_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[doudian]\napp_key = \"k\"\napp_secret = \"s\"\n").unwrap();
    let c = config.to_str().unwrap();
    let verify = |platform: &str, rest: &[&str]| {
        let head = ["--config", c, "push", "verify", platform, "--body-file"];
        opengate(&[&head[..], rest].concat())
    };
    let missing = verify("doudian", &["/nonexistent/body"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(text(&missing.stderr).contains("cannot read /nonexistent/body"));
    let body = dir.path().join("body");
    std::fs::write(&body, "[]").unwrap();
    let b = body.to_str().unwrap();
    let header = verify("doudian", &[b, "--header", "no-value"]);
    assert_eq!(header.status.code(), Some(3));
    let stderr = text(&header.stderr);
    assert!(stderr.contains("expected NAME=VALUE"), "{stderr}");
    let platform = verify("taobao", &[b]);
    assert_eq!(
        platform.status.code(),
        Some(3),
        "{}",
        text(&platform.stderr)
    );
    // Signed, but not a push: bad input rather than a bad signature.
    use md5::{Digest, Md5};
    let sign = hex::encode(Md5::digest("k{}s"));
    std::fs::write(&body, "{}").unwrap();
    let not_push = verify("doudian", &[b, "--header", &format!("event-sign={sign}")]);
    assert_eq!(
        not_push.status.code(),
        Some(3),
        "{}",
        text(&not_push.stderr)
    );
    assert!(text(&not_push.stderr).contains("not a JSON array"));
}

/// A child process killed on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CONFIG: &str = r#"
[youzan]
client_id = "yz-client"
client_secret = "yz-secret"

[doudian]
app_key = "7000000000000000001"
app_secret = "dd-secret"

[douyin]
client_key = "dy-key"
client_secret = "dy-secret"

[alibaba]
app_key = "1234567"
app_secret = "aop-secret"
"#;

/// Starts `opengate <args>` and returns it with the first line `stream` printed, and the
/// rest of its stdout as a channel of lines.
fn spawn(args: &[&str], from_stderr: bool) -> (Process, String, mpsc::Receiver<String>) {
    spawn_command(Command::new(BIN), args, from_stderr)
}

/// [`spawn`] of a `command` that runs `opengate` (under `sh`, say).
fn spawn_command(
    mut command: Command,
    args: &[&str],
    from_stderr: bool,
) -> (Process, String, mpsc::Receiver<String>) {
    let mut child = command
        .args(args)
        .env_remove("OPENGATE_CONFIG")
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(if from_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .expect("start opengate");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    let (tx, rx) = mpsc::channel();
    let mut lines = stdout.lines();
    if from_stderr {
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut first)
            .unwrap();
    } else {
        first = lines.next().unwrap().unwrap();
    }
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    (Process(child), first.trim().to_owned(), rx)
}

fn post_json(url: &str, body: &serde_json::Value) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
    })
}

#[test]
fn push_listen_prints_each_verified_message_once_and_refuses_forgeries() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let c = config.to_str().unwrap();
    let (_mock, mock_line, _) = spawn(&["--config", c, "mock", "--listen", "127.0.0.1:0"], false);
    let mock_url = mock_line.strip_prefix("listening on ").unwrap().to_owned();
    let (_listener, line, lines) = spawn(
        &["--config", c, "push", "listen", "--listen", "127.0.0.1:0"],
        true,
    );
    let rest = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"));
    let base = rest.split(' ').next().unwrap().to_owned();
    for p in ["youzan", "doudian", "douyin", "alibaba"] {
        assert!(rest.contains(&format!("/push/{p}")), "{rest}");
    }
    let cases = [
        (
            "youzan",
            "trade_TradeSuccess",
            serde_json::json!({"full_order_info": {"order_info": {"tid": "E1"}}}),
        ),
        (
            "doudian",
            "105",
            serde_json::json!({"p_id": 6918000000000000123_i64}),
        ),
        (
            "douyin",
            "authorize",
            serde_json::json!({"scopes": ["user_info"]}),
        ),
        (
            "alibaba",
            "ORDER_BATCH_PAY",
            serde_json::json!({"batchPay": []}),
        ),
    ];
    for (platform, kind, payload) in cases {
        let order = serde_json::json!({
            "platform": platform, "kind": kind, "payload": payload,
            "to": format!("{base}/push/{platform}"), "copies": 2, "interval_ms": 20,
        });
        let report = post_json(&format!("{mock_url}/__mock/push"), &order);
        assert_eq!(report["delivered"], true, "{platform}: {report}");
        let got: serde_json::Value =
            serde_json::from_str(&lines.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
        assert_eq!(got["platform"], platform);
        assert_eq!(got["kind"], kind);
        assert_eq!(got["id"], report["id"]);
        assert_eq!(
            got["payload"], payload,
            "{platform}: ids beyond 2^53 stay exact"
        );
        // The second copy was acknowledged without a second line.
        assert!(
            lines.recv_timeout(Duration::from_millis(200)).is_err(),
            "{platform}"
        );

        let mut forged = order.clone();
        forged["forge"] = true.into();
        forged["attempts"] = 1.into();
        let report = post_json(&format!("{mock_url}/__mock/push"), &forged);
        assert_eq!(report["delivered"], false);
        assert_eq!(report["answers"][0]["status"], 401, "{platform}: {report}");
        assert!(lines.recv_timeout(Duration::from_millis(200)).is_err());
    }
}

/// The two servers the CLI runs, each with `limits` in its table: `(name, process, address)`.
fn servers(
    limits: &str,
    fds: Option<u32>,
) -> Vec<(&'static str, Process, String, tempfile::TempDir)> {
    ["push", "mock"]
        .into_iter()
        .map(|which| {
            let dir = tempfile::tempdir().unwrap();
            let config = dir.path().join("c.toml");
            std::fs::write(&config, format!("{CONFIG}\n[{which}]\n{limits}\n")).unwrap();
            let c = config.to_str().unwrap().to_owned();
            let args: Vec<&str> = match which {
                "push" => vec!["--config", &c, "push", "listen", "--listen", "127.0.0.1:0"],
                _ => vec!["--config", &c, "mock", "--listen", "127.0.0.1:0"],
            };
            // Run out of descriptors soon: `ulimit -n`, then the binary in the same process.
            let command = match fds {
                Some(n) => {
                    let mut sh = Command::new("sh");
                    sh.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), BIN]);
                    sh
                }
                None => Command::new(BIN),
            };
            let (process, line, _) = spawn_command(command, &args, which == "push");
            let addr = line
                .strip_prefix("listening on http://")
                .and_then(|rest| rest.split([' ', '/']).next())
                .unwrap_or_else(|| panic!("{which}: {line}"))
                .to_owned();
            (which, process, addr, dir)
        })
        .collect()
}

/// A connection that sent part of a request's head and stops there.
fn half_sent(addr: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"POST /push/youzan HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .unwrap();
    s
}

/// The first bytes of the answer to a whole request on a new connection, within `wait`.
fn answer_within(addr: &str, wait: Duration) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(wait))?;
    s.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Half-sent requests are closed after `header_read_timeout_ms`, and a server holding
/// `max_connections` accepts no more until one closes: a whole request sent meanwhile is
/// answered only once the first half-sent one timed out.
#[test]
fn both_servers_close_half_sent_requests_and_cap_their_connections() {
    use std::io::Read;
    for (which, _process, addr, _dir) in
        servers("max_connections = 8\nheader_read_timeout_ms = 500", None)
    {
        let started = std::time::Instant::now();
        let held: Vec<_> = (0..8).map(|_| half_sent(&addr)).collect();
        let closers: Vec<_> = held
            .into_iter()
            .map(|mut s| {
                std::thread::spawn(move || {
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let mut buf = [0u8; 256];
                    // Closed by the server: the end of the stream, or a reset.
                    !matches!(s.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100));
        let answer = answer_within(&addr, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{which}: the ninth connection was never served: {e}"));
        let answered = started.elapsed();
        assert!(answer.starts_with("HTTP/1.1 404"), "{which}: {answer}");
        let closes: Vec<_> = closers.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(
            closes.iter().all(|closed| *closed),
            "{which}: a half-sent request stayed open for 10 s"
        );
        // A slot frees when the first held connection's head times out, 500 ms after it
        // was opened (after `started`); without the cap the ninth is answered at once.
        assert!(
            answered >= Duration::from_millis(450),
            "{which}: answered at {answered:?}, before the held connections' heads timed out"
        );
    }
}

/// A body that stops arriving is refused after `body_read_timeout_ms`, its connection closed.
#[test]
fn both_servers_refuse_a_stalled_body() {
    use std::io::{Read, Write};
    for (which, _process, addr, _dir) in servers("body_read_timeout_ms = 300", None) {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(
            b"POST /push/youzan HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":",
        )
        .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 64];
        let n = s
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("{which}: no answer to a stalled body: {e}"));
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 400"), "{which}: {answer}");
    }
}

/// Out of file descriptors, a server waits between accepts instead of spinning, and serves
/// again once connections close.
#[test]
fn both_servers_back_off_when_out_of_file_descriptors() {
    for (which, process, addr, _dir) in servers("header_read_timeout_ms = 60000", Some(64)) {
        // More connections than descriptors: accept fails with EMFILE from then on.
        let held: Vec<_> = (0..100).map(|_| half_sent(&addr)).collect();
        std::thread::sleep(Duration::from_millis(300));
        let before = cpu_time(process.0.id());
        std::thread::sleep(Duration::from_millis(1500));
        let spent = cpu_time(process.0.id()) - before;
        assert!(
            spent < Duration::from_millis(300),
            "{which}: {spent:?} of CPU in 1.5 s with its descriptors used up"
        );
        drop(held);
        let answer = answer_within(&addr, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{which}: not serving after the connections closed: {e}"));
        assert!(answer.starts_with("HTTP/1.1 404"), "{which}: {answer}");
    }
}

/// The user and system CPU time process `pid` has used (`/proc/<pid>/stat`, in clock ticks
/// of 1/100 s).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}
