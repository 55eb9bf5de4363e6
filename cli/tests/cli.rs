//! The `opengate` command, driven exactly as the README documents it.

use opengate_apis::{alibaba, doudian, douyin, taobao, youzan, ClientExt};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_opengate");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn specs() -> PathBuf {
    root().join("specs")
}

const CONFIG: &str = r#"
[youzan]
client_id = "yz-client"
client_secret = "yz-secret"
grant_id = "42587152"

[taobao]
app_key = "12345678"
app_secret = "tb-secret"
sign_method = "hmac"
session = "tb-session"

[alibaba]
app_key = "1234567"
app_secret = "aop-secret"
access_token = "aop-token"

[douyin]
client_key = "dy-key"
client_secret = "dy-secret"
access_token = "act.dy-user"

[doudian]
app_key = "7000000000000000001"
app_secret = "dd-secret"
sign_method = "md5"
shop_id = "100200"
"#;

fn opengate(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("OPENGATE_CONFIG")
        .current_dir(root());
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("run opengate")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `opengate mock` as a child process; killed on drop.
struct MockProcess {
    child: Child,
    base_url: String,
    _config: tempfile::NamedTempFile,
    config_path: PathBuf,
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mock() -> MockProcess {
    start_mock_of(&specs(), CONFIG)
}

/// `opengate mock` serving the specs folder `specs` with the config `config`.
fn start_mock_of(specs: &Path, config_text: &str) -> MockProcess {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), config_text).unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--specs",
            specs.to_str().unwrap(),
            "--config",
            config.path().to_str().unwrap(),
            "mock",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start opengate mock");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line was {line:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    let config_path = config.path().to_owned();
    MockProcess {
        child,
        base_url,
        _config: config,
        config_path,
    }
}

fn client_for(mock: &MockProcess, overrides: &[(&str, &str, &str)]) -> opengate::Client {
    let mut c = opengate::Config::from_toml(CONFIG, "test").unwrap();
    for p in ["youzan", "taobao", "alibaba", "douyin", "doudian"] {
        c.set(p, "base_url", &mock.base_url);
    }
    for (t, k, v) in overrides {
        c.set(t, k, *v);
    }
    c.client_builder().unwrap().build().unwrap()
}

async fn recorded(mock: &MockProcess) -> Vec<serde_json::Value> {
    use opengate::wire::{Body, ReqwestTransport, Transport, WireRequest};
    let t = ReqwestTransport::new(
        std::time::Duration::from_secs(2),
        opengate::wire::DEFAULT_MAX_BODY,
    )
    .unwrap();
    let req = WireRequest {
        method: opengate::HttpMethod::Get,
        url: format!("{}/__mock/requests", mock.base_url)
            .parse()
            .unwrap(),
        headers: vec![],
        body: Body::Empty,
    };
    let resp = t
        .send(req, std::time::Duration::from_secs(2))
        .await
        .unwrap();
    serde_json::from_slice(&resp.body).unwrap()
}

#[tokio::test]
async fn mock_process_verifies_every_platform_through_the_generated_client() {
    let mock = start_mock();
    let client = client_for(&mock, &[]);
    client
        .youzan()
        .trade_get_v4_0_2(youzan::trade_get_v4_0_2::Request::new("E1"))
        .await
        .unwrap();
    client
        .taobao()
        .trades_sold_get_v2_0(
            taobao::trades_sold_get_v2_0::Request::new("tid")
                .status("TRADE_FINISHED")
                .page_size(10),
        )
        .await
        .unwrap();
    client
        .alibaba()
        .trade_get_buyer_view_v1(alibaba::trade_get_buyer_view_v1::Request::new(
            "1688",
            2147483647123,
        ))
        .await
        .unwrap();
    client
        .douyin()
        .alliance_kol_orders_v1(douyin::alliance_kol_orders_v1::Request::new("oid", 20).cursor("0"))
        .await
        .unwrap();
    client
        .douyin()
        .alliance_product_picksource_convert_v1(
            douyin::alliance_product_picksource_convert_v1::Request::new(
                "https://haohuo.example/x",
            ),
        )
        .await
        .unwrap();
    client
        .doudian()
        .order_order_detail_v2(doudian::order_order_detail_v2::Request::new(
            "6920000000000000001",
        ))
        .await
        .unwrap();

    let reqs = recorded(&mock).await;
    let platforms: std::collections::BTreeSet<&str> = reqs
        .iter()
        .map(|r| r["platform"].as_str().unwrap())
        .collect();
    assert_eq!(
        platforms.into_iter().collect::<Vec<_>>(),
        ["alibaba", "doudian", "douyin", "taobao", "youzan"]
    );
    assert!(reqs.iter().all(|r| r["verified"] == true), "{reqs:#?}");

    // A wrongly signed request gets the platform's code.
    let bad = client_for(&mock, &[("taobao", "app_secret", "not-the-secret")]);
    let e = bad
        .taobao()
        .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
        .await
        .unwrap_err();
    assert_eq!(e.api_error().map(|e| e.code.as_str()), Some("25"));
    let bad = client_for(&mock, &[("alibaba", "app_secret", "not-the-secret")]);
    let e = bad
        .alibaba()
        .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
        .await
        .unwrap_err();
    assert_eq!(
        e.api_error().map(|e| e.code.as_str()),
        Some("gw.SignatureInvalid")
    );
    let last = recorded(&mock).await.pop().unwrap();
    assert_eq!(last["verified"], false);
}

#[test]
fn call_exit_codes() {
    let mock = start_mock();
    let cfg = mock.config_path.to_str().unwrap().to_owned();
    let env = [
        ("OPENGATE_TAOBAO_BASE_URL", mock.base_url.as_str()),
        ("OPENGATE_YOUZAN_BASE_URL", mock.base_url.as_str()),
    ];

    let ok = opengate(
        &[
            "--config",
            &cfg,
            "call",
            "taobao.item.seller.get",
            "-p",
            "fields=num_iid,title",
            "-p",
            "num_iid=11223344",
        ],
        &env,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let data: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON on stdout");
    assert!(data["item"].is_object(), "{data}");

    let ok = opengate(
        &[
            "--config",
            &cfg,
            "call",
            "youzan.item.get",
            "--body",
            r#"{"item_id": 420311}"#,
        ],
        &env,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    let mut wrong = env.to_vec();
    wrong.push(("OPENGATE_TAOBAO_APP_SECRET", "wrong"));
    let api_err = opengate(
        &[
            "--config",
            &cfg,
            "call",
            "taobao.item.seller.get",
            "-p",
            "fields=a",
            "-p",
            "num_iid=1",
        ],
        &wrong,
    );
    assert_eq!(api_err.status.code(), Some(2));
    assert!(
        text(&api_err.stderr).starts_with("taobao error 25: "),
        "{}",
        text(&api_err.stderr)
    );

    let cases: [(&[&str], &str); 5] = [
        (&["call", "no.such.api"], "unknown API `no.such.api`"),
        (
            &["call", "taobao.item.seller.get", "-p", "fields=a"],
            "missing required param `num_iid`",
        ),
        (
            &[
                "call",
                "taobao.item.seller.get",
                "-p",
                "fields=a",
                "-p",
                "num_iid=abc",
            ],
            "param `num_iid` must be an integer",
        ),
        (
            &[
                "--config",
                "/nonexistent/opengate.toml",
                "call",
                "taobao.item.seller.get",
                "-p",
                "fields=a",
                "-p",
                "num_iid=1",
            ],
            "cannot read config",
        ),
        (
            &[
                "call",
                "taobao.item.seller.get",
                "-p",
                "fields=a",
                "-p",
                "num_iid=1",
            ],
            "connect",
        ),
    ];
    for (args, expected) in cases {
        let mut full: Vec<&str> = Vec::new();
        if !args.contains(&"--config") {
            full.extend(["--config", &cfg]);
        }
        full.extend(args);
        // The last case points Taobao at a closed port: a transport error.
        let env: Vec<(&str, &str)> = if expected == "connect" {
            vec![("OPENGATE_TAOBAO_BASE_URL", "http://127.0.0.1:9")]
        } else {
            env.to_vec()
        };
        let out = opengate(&full, &env);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "one line, no backtrace: {err}"
        );
    }
}

/// A 淘宝客 app has only its key and secret: the APIs that need no session are called without
/// one (the mock, like TOP, checks a session only where the spec requires one), and an API that
/// needs one fails before anything is sent, naming what is missing.
#[tokio::test(flavor = "multi_thread")]
async fn a_taobao_app_without_a_session_calls_what_needs_none() {
    let mock = start_mock();
    let config = tempfile::NamedTempFile::new().unwrap();
    let no_session = format!(
        "[taobao]\napp_key = \"12345678\"\napp_secret = \"tb-secret\"\nsign_method = \"hmac\"\nbase_url = \"{}\"\n",
        mock.base_url
    );
    std::fs::write(config.path(), no_session).unwrap();
    let cfg = config.path().to_str().unwrap();
    let call = |args: &[&str], env: &[(&str, &str)]| {
        let mut full = vec!["--config", cfg, "call"];
        full.extend(args);
        opengate(&full, env)
    };

    let tbk = call(&["taobao.tbk.item.info.get", "-p", "num_iids=1"], &[]);
    assert_eq!(tbk.status.code(), Some(0), "{}", text(&tbk.stderr));
    let time = call(&["taobao.time.get"], &[]);
    assert_eq!(time.status.code(), Some(0), "{}", text(&time.stderr));
    // The mock's clock, in Beijing time: a client may set its own by it.
    let data: serde_json::Value = serde_json::from_slice(&time.stdout).unwrap();
    let at =
        chrono::NaiveDateTime::parse_from_str(data["time"].as_str().unwrap(), "%Y-%m-%d %H:%M:%S")
            .unwrap();
    let now = chrono::Utc::now().naive_utc() + chrono::Duration::hours(8);
    assert!(
        (now - at).num_seconds().abs() <= 60,
        "taobao.time.get said {at}, now is {now}"
    );
    let sent: Vec<_> = recorded(&mock).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent.iter().all(|r| !r.to_string().contains("session")),
        "no session was sent: {sent:?}"
    );

    let needs = call(
        &[
            "taobao.item.seller.get",
            "-p",
            "fields=a",
            "-p",
            "num_iid=1",
        ],
        &[],
    );
    let err = text(&needs.stderr);
    assert_eq!(needs.status.code(), Some(3), "{err}");
    assert!(err.contains("needs a user access token"), "{err}");
    assert_eq!(recorded(&mock).await.len(), 2, "nothing was sent");

    // Where the catalog does not say (`auth: optional`), no session is needed; one the config
    // has is sent, and checked.
    let optional = call(&["taobao.appip.get"], &[]);
    assert_eq!(
        optional.status.code(),
        Some(0),
        "{}",
        text(&optional.stderr)
    );
    let wrong = call(
        &["taobao.appip.get"],
        &[("OPENGATE_TAOBAO_SESSION", "not-a-session")],
    );
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong.stderr));
    assert!(
        text(&wrong.stderr).starts_with("taobao error 27 "),
        "{}",
        text(&wrong.stderr)
    );
}

/// The README's promise: a platform folder of a built-in protocol needs no code. `tmall` with
/// `protocol: taobao-top` is served by the mock with `[tmall]`'s keys and called by
/// `opengate call`, its table found through the spec's protocol (and its `base_url` through
/// `OPENGATE_TMALL_BASE_URL`).
#[tokio::test]
async fn a_platform_folder_of_a_built_in_protocol_is_called_through_the_cli() {
    let specs = tempfile::tempdir().unwrap();
    let tmall = specs.path().join("tmall");
    std::fs::create_dir(&tmall).unwrap();
    std::fs::write(
        tmall.join("platform.yaml"),
        "platform: tmall\ntitle: 天猫 Tmall\nprotocol: taobao-top\nhosts:\n  default: https://gw.api.taobao.com\n",
    )
    .unwrap();
    std::fs::write(
        tmall.join("item.yaml"),
        "name: tmall.item.fixture.get\nversion: \"2.0\"\nsummary: 获取天猫商品\nauth: user\nmethod: POST\nparams:\n  - {name: num_iid, type: long, required: true}\nresponse:\n  item: {num_iid: long, title: string}\n",
    )
    .unwrap();
    let config =
        "[tmall]\napp_key = \"23456789\"\napp_secret = \"tm-secret\"\nsession = \"tm-session\"\n";
    let mock = start_mock_of(specs.path(), config);
    let cfg = mock.config_path.to_str().unwrap().to_owned();
    let dir = specs.path().to_str().unwrap().to_owned();
    let call = |config: &str| {
        opengate(
            &[
                "--specs",
                &dir,
                "--config",
                config,
                "call",
                "tmall.item.fixture.get",
                "-p",
                "num_iid=42",
            ],
            &[("OPENGATE_TMALL_BASE_URL", mock.base_url.as_str())],
        )
    };
    let ok = call(&cfg);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let data: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON on stdout");
    assert!(data["item"]["num_iid"].is_i64(), "{data}");
    let seen = recorded(&mock).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["platform"], "tmall");
    assert_eq!(seen[0]["api"], "tmall.item.fixture.get");
    assert_eq!(seen[0]["verified"], true);

    // The mock checks the signature with `[tmall]`'s secret: another one is refused.
    let wrong = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(wrong.path(), config.replace("tm-secret", "other")).unwrap();
    let refused = call(wrong.path().to_str().unwrap());
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    assert!(
        text(&refused.stderr).contains("tmall error 25"),
        "{}",
        text(&refused.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn call_with_shop_uses_that_shops_token() {
    // One config for the mock and the CLI: the app's other shops are listed in it.
    let config = CONFIG.replace(
        "grant_id = \"42587152\"\n",
        "grant_id = \"42587152\"\nshops = \"1001, 1002\"\n",
    );
    let mock = start_mock_of(&specs(), &config);
    let cfg = mock.config_path.to_str().unwrap().to_owned();
    let call = |shop: Option<&str>| {
        let mut args = vec![
            "--config",
            &cfg,
            "call",
            "youzan.logistics.expressbyorderno.get",
            "-p",
            "tid=E1",
        ];
        if let Some(shop) = shop {
            args.extend(["--shop", shop]);
        }
        opengate(
            &args,
            &[("OPENGATE_YOUZAN_BASE_URL", mock.base_url.as_str())],
        )
    };
    for shop in [Some("1002"), None, Some("1001")] {
        let out = call(shop);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shop:?}: {}",
            text(&out.stderr)
        );
    }
    let shops: Vec<serde_json::Value> = recorded(&mock)
        .await
        .into_iter()
        .filter(|r| r["api"] == "youzan.logistics.expressbyorderno.get")
        .map(|r| r["shop"].clone())
        .collect();
    assert_eq!(
        shops,
        [
            serde_json::json!("1002"),
            serde_json::Value::Null,
            serde_json::json!("1001")
        ]
    );
    // A shop the platform did not grant: the platform's refusal, not a success.
    let out = call(Some("9999"));
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("1201"), "{}", text(&out.stderr));
}

/// A specs folder with one platform, `demo`, and no APIs yet: the folder and the platform's.
fn demo_specs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    std::fs::create_dir_all(&demo).unwrap();
    std::fs::write(
        demo.join("platform.yaml"),
        "platform: demo\nprotocol: youzan\nhosts: {default: https://x.invalid}\n",
    )
    .unwrap();
    (dir, demo)
}

#[test]
fn a_fifo_or_a_huge_file_named_yaml_fails_the_check_at_once() {
    let (dir, demo) = demo_specs();
    // A FIFO nobody writes to: opening it for reading would wait for ever.
    let fifo = demo.join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // Over the 8 MiB cap, and sparse: nothing is written.
    let big = std::fs::File::create(demo.join("big.yaml")).unwrap();
    big.set_len((8 << 20) + 1).unwrap();
    let mut child = Command::new(BIN)
        .args(["check", dir.path().to_str().unwrap()])
        .env_remove("OPENGATE_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("`opengate check` hangs on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let shown = dir.path().display().to_string();
    assert!(
        err.contains(&format!(
            "{shown}/demo/pipe.yaml:1:1: cannot read file: not a regular file"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{shown}/demo/big.yaml:1:1: cannot read file: larger than"
        )),
        "{err}"
    );
}

#[test]
fn check_and_list() {
    let out = opengate(&["check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let (dir, demo) = demo_specs();
    std::fs::write(demo.join("bad.yaml"), "name: a.b\nversion: \"1\"\nauth: maybe\nmethod: POST\nparams:\n  - {name: x, type: integr}\n").unwrap();
    let out = opengate(&["check", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    let shown = dir.path().display().to_string();
    assert_eq!(lines[0], format!("{shown}/demo/bad.yaml:3:7: unknown auth scheme `maybe`, expected one of: none, app, user, optional, client"));
    assert!(
        lines[1].starts_with(&format!(
            "{shown}/demo/bad.yaml:6:21: unknown type `integr`"
        )),
        "{err}"
    );

    let out = opengate(&["list", "--platform", "taobao"], &[]);
    let listed = text(&out.stdout);
    assert!(
        listed
            .lines()
            .any(|l| l == "taobao taobao.trade.fullinfo.get 2.0 POST"),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .all(|l| l.starts_with("taobao ") && l.split(' ').count() == 4),
        "{listed}"
    );
    let all = text(&opengate(&["list"], &[]).stdout);
    assert!(
        all.lines()
            .any(|l| l == "douyin ecom.captain.task.detail 1 GET"),
        "{all}"
    );
}

/// The `Request` struct of one API module, without doc comments.
fn request_struct(code: &str, module: &str) -> String {
    let start = code
        .find(&format!("pub mod {module} {{"))
        .expect("module present");
    let body = &code[start..];
    let s = body.find("pub struct Request {").unwrap();
    let e = s + body[s..].find("\n    }\n").unwrap();
    body[s..e]
        .lines()
        .filter(|l| !l.trim_start().starts_with("///"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn import_help_and_errors_list_every_registered_format() {
    let help = text(&opengate(&["import", "--help"], &[]).stdout);
    let unknown = opengate(&["import", "x", "--from", "no-such", "--out", "x"], &[]);
    assert_eq!(unknown.status.code(), Some(3));
    let error = text(&unknown.stderr);
    assert!(!opengate_import::FORMATS.is_empty());
    for f in opengate_import::FORMATS {
        assert!(
            help.contains(&format!("  {:<16} {:<8} {}", f.name, f.platform, f.reads)),
            "{help}"
        );
        assert!(error.contains(f.name), "{error}");
    }
}

#[test]
fn import_matches_the_hand_written_spec() {
    let table = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/youzan.logistics.expressbyorderno.get.md");
    let out = opengate(&["import", table.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);

    // A copy of the specs where the hand-written spec is replaced by the imported one.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("specs");
    copy_dir(&specs(), &copy);
    std::fs::write(copy.join("youzan/logistics.yaml"), &yaml).unwrap();
    let check = opengate(&["check", copy.to_str().unwrap()], &[]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "imported spec rejected: {}\n{yaml}",
        text(&check.stderr)
    );

    let generated = |specs: &Path| {
        let (files, _) = opengate_codegen::Config::new().generate(specs).unwrap();
        files
            .into_iter()
            .find(|f| f.name == "youzan.rs")
            .unwrap()
            .text
    };
    let module = "logistics_expressbyorderno_get_v3_0_0";
    assert_eq!(
        request_struct(&generated(&copy), module),
        request_struct(&generated(&specs()), module)
    );
    // Piped through stdin too.
    let mut child = Command::new(BIN)
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        &std::fs::read(&table).unwrap(),
    )
    .unwrap();
    assert_eq!(
        text(&child.wait_with_output().unwrap().stdout),
        yaml.replace(table.to_str().unwrap(), "-")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A specs folder with every platform, its hand-written specs, and every `step`-th imported
/// spec: the validator takes minutes over the whole catalog, whose imported specs share a few
/// shapes.
fn sampled_specs(step: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut imported = Vec::new();
    fn walk(from: &Path, to: &Path, imported: &mut Vec<(PathBuf, PathBuf)>) {
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let p = e.path();
            let target = to.join(e.file_name());
            if p.is_dir() {
                walk(&p, &target, imported);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                let text = std::fs::read_to_string(&p).unwrap();
                if text.starts_with("# @generated by `opengate import") {
                    imported.push((p, target));
                } else {
                    std::fs::create_dir_all(to).unwrap();
                    std::fs::write(&target, text).unwrap();
                }
            }
        }
    }
    walk(&specs(), dir.path(), &mut imported);
    imported.sort();
    for (from, to) in imported.into_iter().step_by(step) {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
    dir
}

#[test]
fn openapi_output_is_valid_openapi_3_1() {
    let sample = sampled_specs(40);
    let out = opengate(
        &["--specs", sample.path().to_str().unwrap(), "openapi"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &out.stdout).unwrap();
    // A real OpenAPI 3.1 validator; installed from PyPI on first use so the README's test command
    // works on a fresh machine.
    let have = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        let pip = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "openapi-spec-validator",
            ])
            .status();
        assert!(
            pip.is_ok_and(|s| s.success()),
            "cannot install openapi-spec-validator with pip"
        );
    }
    let script = "import json,sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')";
    let v = Command::new("python3")
        .args(["-c", script, file.path().to_str().unwrap()])
        .output()
        .expect("python3");
    assert!(
        v.status.success(),
        "openapi-spec-validator rejected the document:\n{}",
        text(&v.stderr)
    );

    let one = opengate(
        &[
            "--specs",
            sample.path().to_str().unwrap(),
            "openapi",
            "--platform",
            "douyin",
        ],
        &[],
    );
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert!(doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| k.starts_with("/douyin/")));

    // Each operation says the path its client sends: 1688's with its namespace, name and
    // version, Taobao's router, Youzan's and Doudian's from the name.
    let full = opengate(&["openapi"], &[]);
    assert_eq!(full.status.code(), Some(0), "{}", text(&full.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
    let api = |path: &str| {
        let item = &doc["paths"][path];
        let op = item
            .as_object()
            .and_then(|m| m.values().next())
            .unwrap_or_else(|| panic!("{path}"));
        op["x-opengate-api"].clone()
    };
    let aop = api("/alibaba/alibaba.trade.get.buyerView/1");
    assert_eq!(
        aop["path"],
        "/openapi/param2/1/com.alibaba.trade/alibaba.trade.get.buyerView/{app_key}"
    );
    assert_eq!(aop["namespace"], "com.alibaba.trade");
    assert_eq!(
        api("/taobao/taobao.trade.fullinfo.get/2.0")["path"],
        "/router/rest"
    );
    assert_eq!(
        api("/youzan/youzan.trade.get/4.0.0")["path"],
        "/api/youzan.trade.get/4.0.0"
    );
    assert_eq!(
        api("/doudian/order.orderDetail/2")["path"],
        "/order/orderDetail"
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        let op = item.as_object().unwrap().values().next().unwrap();
        let sent = op["x-opengate-api"]["path"].as_str().unwrap_or_default();
        assert!(
            sent.starts_with('/'),
            "{path}: no path the client sends: {sent:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_url_exchange_and_show_authorize_a_shop_that_calls_then_work_for() {
    // One config for the mock process and the CLI, with a file token store so that what
    // `auth exchange` saves is there for the next command.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens.json");
    let config = format!(
        "{CONFIG}\n[client]\ntoken_store = \"{}\"\n",
        store.to_str().unwrap()
    );
    let mock = start_mock_of(&specs(), &config);
    let cfg = mock.config_path.to_str().unwrap().to_owned();
    let env = [("OPENGATE_TAOBAO_BASE_URL", mock.base_url.as_str())];
    let redirect = "https://app.example/cb";

    let out = opengate(
        &[
            "--config",
            &cfg,
            "auth",
            "url",
            "taobao",
            "--redirect-uri",
            redirect,
            "--state",
            "s1",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let url = text(&out.stdout).trim().to_owned();
    assert!(
        url.starts_with(&format!("{}/authorize?", mock.base_url)),
        "{url}"
    );
    // The merchant of seller-77 agrees; the page redirects to the app with a code (curl shows
    // where, without following).
    let page = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}"])
        .arg(format!("{url}&shop=seller-77"))
        .output()
        .expect("curl runs (.ci/run installs it)");
    let back = url::Url::parse(&text(&page.stdout)).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");

    let exchange = |code: &str| {
        opengate(
            &[
                "--config",
                &cfg,
                "auth",
                "exchange",
                "taobao",
                "--code",
                code,
                "--redirect-uri",
                redirect,
            ],
            &env,
        )
    };
    let out = exchange(&code);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let grant: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(grant["shop"], "seller-77");
    assert_eq!(grant["refreshable"], true);
    // A code is good once: the platform's refusal.
    let out = exchange(&code);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("invalid_grant"),
        "{}",
        text(&out.stderr)
    );

    let out = opengate(
        &[
            "--config",
            &cfg,
            "auth",
            "show",
            "taobao",
            "--shop",
            "seller-77",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    let stored: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(stored["version"], 1);
    assert!(!shown.contains("tb."), "no token is shown: {shown}");
    let out = opengate(
        &[
            "--config", &cfg, "auth", "show", "taobao", "--shop", "nobody",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(1));

    let out = opengate(
        &[
            "--config",
            &cfg,
            "call",
            "taobao.item.seller.get",
            "-p",
            "fields=num_iid",
            "-p",
            "num_iid=1",
            "--shop",
            "seller-77",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shops: Vec<serde_json::Value> = recorded(&mock)
        .await
        .into_iter()
        .filter(|r| r["api"] == "taobao.item.seller.get")
        .map(|r| r["shop"].clone())
        .collect();
    assert_eq!(shops, [serde_json::json!("seller-77")]);
}

/// `opengate mock` serves Taobao's TMC channel beside the gateway: messages published through
/// `POST /__mock/tmc` reach a TMC client, a connection dropped on request (`/__mock/tmc/drop`)
/// is reconnected, and `GET /__mock/tmc` shows each message confirmed once.
#[tokio::test(flavor = "multi_thread")]
async fn the_mock_process_serves_a_tmc_channel() {
    use opengate::platform::taobao::tmc;
    use opengate::push::Push;
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    let mock = start_mock();
    let http = reqwest::Client::new();
    let control = format!("{}/__mock/tmc", mock.base_url);
    let state = {
        let (http, control) = (http.clone(), control.clone());
        move || {
            let (http, control) = (http.clone(), control.clone());
            async move {
                let r = http.get(&control).send().await.unwrap();
                serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap()
            }
        }
    };
    let url = state().await["url"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for tid in 1..=4 {
        let body = serde_json::json!({
            "topic": "taobao_trade_TradeBuyerPay",
            "content": format!("{{\"tid\":{tid}}}"),
            "user_id": 1001,
        });
        let r = http
            .post(&control)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        ids.push(answer["id"].as_i64().unwrap());
    }
    let r = http
        .post(format!("{control}/drop"))
        .body(r#"{"after": 2}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let handled: Arc<Mutex<BTreeMap<String, u32>>> = Arc::default();
    let seen = handled.clone();
    let receiver = tmc::receiver().build(move |push: Push| {
        let seen = seen.clone();
        async move {
            *seen.lock().unwrap().entry(push.id.clone()).or_default() += 1;
            Ok::<(), String>(())
        }
    });
    let mut settings = tmc::TmcSettings::new("12345678", "tb-secret");
    settings.url = url;
    settings.min_backoff = std::time::Duration::from_millis(20);
    let client = tmc::TmcClient::new(settings, receiver);
    let poll = state.clone();
    let all_confirmed = async move {
        while poll().await["confirmed"].as_array().map_or(0, Vec::len) < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        client.run(all_confirmed),
    )
    .await
    .expect("all confirmed within 20 s")
    .unwrap();

    let end = state().await;
    let mut confirmed: Vec<i64> = end["confirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    confirmed.sort_unstable();
    assert_eq!(confirmed, ids);
    assert!(end["connections"].as_u64().unwrap() >= 2, "{end}");
    let handled = handled.lock().unwrap();
    assert_eq!(handled.len(), 4);
    assert!(handled.values().all(|n| *n == 1), "{handled:?}");
}

/// `opengate call <API> --all` reads every page of a paged API: against the mock with 2,500
/// trades, 2,500 JSON lines with distinct ids (25 pages of 100); `--max-pages` stops early;
/// an API without `paging:` is refused (exit 3); without `--all` nothing changes.
#[test]
fn call_all_prints_every_item_of_every_page() {
    let config = format!("{CONFIG}\n[mock]\npage_items = 2500\n");
    let mock = start_mock_of(&specs(), &config);
    let cfg = mock.config_path.to_str().unwrap().to_owned();
    let env = [("OPENGATE_TAOBAO_BASE_URL", mock.base_url.as_str())];
    let call = |extra: &[&str]| {
        let mut args = vec![
            "--config",
            &cfg,
            "call",
            "taobao.trades.sold.get",
            "-p",
            "fields=tid",
        ];
        args.extend_from_slice(extra);
        opengate(&args, &env)
    };

    let all = call(&["--all"]);
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    let tids: std::collections::BTreeSet<i64> = text(&all.stdout)
        .lines()
        .map(|l| {
            let item: serde_json::Value = serde_json::from_str(l).expect("a JSON line per item");
            item["tid"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(text(&all.stdout).lines().count(), 2500);
    assert_eq!(tids.len(), 2500, "2,500 distinct items");
    // Not a terminal: no progress bar on stderr.
    assert!(text(&all.stderr).is_empty(), "{}", text(&all.stderr));

    let two = call(&["--all", "--max-pages", "2"]);
    assert_eq!(two.status.code(), Some(0), "{}", text(&two.stderr));
    assert_eq!(text(&two.stdout).lines().count(), 200);

    let one = call(&[]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let data: serde_json::Value = serde_json::from_slice(&one.stdout).expect("one JSON document");
    assert_eq!(data["total_results"], 2500);

    let unpaged = opengate(
        &[
            "--config",
            &cfg,
            "call",
            "taobao.item.seller.get",
            "-p",
            "fields=num_iid",
            "-p",
            "num_iid=1",
            "--all",
        ],
        &env,
    );
    assert_eq!(unpaged.status.code(), Some(3));
    assert!(
        text(&unpaged.stderr).contains("does not page"),
        "{}",
        text(&unpaged.stderr)
    );
}

/// `RUST_LOG=trace` shows the client's logs on stderr (the strings signatures were computed
/// over among them), and a failing call of every platform logs no credential and no buyer data.
#[test]
fn a_trace_of_failing_calls_holds_no_credential_or_buyer_data() {
    let mock = start_mock();
    // Every credential wrong, so that each call fails after signing.
    let wrong = CONFIG
        .replace("\"yz-secret\"", "\"yz-secret-WRONG\"")
        .replace("\"tb-session\"", "\"tb-session-WRONG\"")
        .replace("\"aop-token\"", "\"aop-token-WRONG\"")
        .replace("\"act.dy-user\"", "\"act.dy-user-WRONG\"")
        .replace("\"dd-secret\"", "\"dd-secret-WRONG\"");
    let mut text_of_config = wrong.clone();
    for p in ["youzan", "taobao", "alibaba", "douyin", "doudian"] {
        text_of_config = text_of_config.replace(
            &format!("[{p}]\n"),
            &format!("[{p}]\nbase_url = \"{}\"\n", mock.base_url),
        );
    }
    text_of_config.push_str("\n[client]\nmax_attempts = 1\n");
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), &text_of_config).unwrap();
    let cfg = config.path().to_str().unwrap();
    let calls: [&[&str]; 5] = [
        &["youzan.trade.get", "-p", "tid=E1"],
        &[
            "taobao.logistics.address.add",
            "-p",
            "contact_name=张三丰",
            "-p",
            "province=浙江省",
            "-p",
            "city=杭州市",
            "-p",
            "addr=文一西路969号",
            "-p",
            "mobile_phone=13800138000",
        ],
        &[
            "alibaba.trade.get.buyerView",
            "-p",
            "webSite=1688",
            "-p",
            "orderId=1",
        ],
        &["alliance.kol.buyin_id", "-p", "open_id=o1"],
        &["product.detail", "-p", "product_id=1"],
    ];
    let mut all = String::new();
    for args in calls {
        let mut full = vec!["--config", cfg, "call"];
        full.extend(args);
        let out = opengate(&full, &[("RUST_LOG", "trace")]);
        assert_ne!(out.status.code(), Some(0), "{args:?} must fail");
        all.push_str(&text(&out.stderr));
    }
    assert!(all.contains("string_to_sign"), "the trace is on: {all}");
    for secret in [
        "yz-secret",
        "tb-secret",
        "tb-session",
        "aop-secret",
        "aop-token",
        "dy-secret",
        "act.dy-user",
        "dd-secret",
        "张三丰",
        "13800138000",
        "文一西路969号",
    ] {
        assert!(!all.contains(secret), "`{secret}` in the trace:\n{all}");
    }
}

/// Every field a shipped spec marks `pii` is one the masking rule masks by its name, so that an
/// excerpt of any answer hides what `Debug` of its type hides.
#[test]
fn the_masking_rule_covers_every_field_the_specs_mark() {
    let (_, corpus) = opengate_codegen::load(&specs(), "specs").unwrap();
    let mut missed = std::collections::BTreeMap::<String, usize>::new();
    let mut marked = 0;
    for p in &corpus.platforms {
        for api in &p.apis {
            for f in api.fields().filter(|f| f.pii) {
                marked += 1;
                if !opengate::redact::is_sensitive_name(&f.wire) {
                    *missed.entry(f.wire.clone()).or_default() += 1;
                }
            }
        }
    }
    assert!(marked > 1000, "{marked} fields marked");
    assert!(
        missed.is_empty(),
        "{} names missed: {missed:?}",
        missed.len()
    );
}

/// A gateway on 127.0.0.1 answering every request with `answer(request text)`, one request
/// per connection; its base URL.
fn fake_gateway(answer: fn(&str) -> String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in listener.incoming().map_while(Result::ok) {
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            // The head, then as much body as it announces.
            while let Ok(n @ 1..) = s.read(&mut buf) {
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let body = answer(&String::from_utf8_lossy(&request));
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

/// Integers beyond 64 bits print as the platform sent them, in `call` and in `call --all`.
#[test]
fn call_prints_numbers_as_sent() {
    let base = fake_gateway(|request| {
        if request.contains("taobao.trades.sold.get") {
            r#"{"trades_sold_get_response":{"total_results":2,"has_next":false,"trades":{"trade":[{"tid":18446744073709551617,"payment":"1.10"},{"tid":36893488147419103233}]}}}"#.into()
        } else {
            r#"{"item_seller_get_response":{"item":{"num_iid":18446744073709551617,"price":12.50,"title":"T"}}}"#.into()
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let cfg = cfg.to_str().unwrap();
    let env = [("OPENGATE_TAOBAO_BASE_URL", base.as_str())];
    let one = opengate(
        &[
            "--config",
            cfg,
            "call",
            "taobao.item.seller.get",
            "-p",
            "fields=num_iid",
            "-p",
            "num_iid=1",
        ],
        &env,
    );
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let out = text(&one.stdout);
    assert!(out.contains("\"num_iid\": 18446744073709551617,"), "{out}");
    assert!(out.contains("\"price\": 12.50,"), "{out}");

    let all = opengate(
        &[
            "--config",
            cfg,
            "call",
            "taobao.trades.sold.get",
            "-p",
            "fields=tid",
            "--all",
        ],
        &env,
    );
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    assert_eq!(
        text(&all.stdout),
        "{\"tid\":18446744073709551617,\"payment\":\"1.10\"}\n{\"tid\":36893488147419103233}\n"
    );
}
