//! The round trips of the shipped catalog through the mock gateway (`tests/round_trip.rs`):
//! every API on the runtime's dynamic path (the one `opengate call` uses), and every API of the
//! platform crates' `default` features through its typed method, which the build script writes
//! a call for (`opengate_codegen::example::typed_call`). What both share is here.

mod given;

pub use given::{in_default, Given, GIVEN, PAGES};
use std::path::{Path, PathBuf};

/// The shipped specs.
pub fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

/// The credentials of the mock's apps, one table per platform.
pub const CONFIG: &str = r#"
[youzan]
client_id = "yz-client"
client_secret = "yz-secret"
grant_id = "42587152"

[taobao]
app_key = "12345678"
app_secret = "tb-secret"
sign_method = "hmac-sha256"
session = "tb-session"

[alibaba]
app_key = "1234567"
app_secret = "aop-secret"
access_token = "aop-token"

[douyin]
client_key = "dy-key"
client_secret = "dy-secret"
access_token = "act.dy-user"
refresh_token = "rft.dy-refresh"

[doudian]
app_key = "7000000000000000001"
app_secret = "dd-secret"
sign_method = "hmac-sha256"
shop_id = "100200"
"#;

/// The mock gateway serving the shipped specs, and a client of every platform pointed at it.
pub async fn mock_and_client() -> (opengate_mock::MockHandle, opengate::Client) {
    let gw = opengate_mock::MockGateway::new(&specs(), CONFIG).expect("mock loads");
    let mock = gw.start(([127, 0, 0, 1], 0).into()).await.expect("bind");
    let mut config = opengate::Config::from_toml(CONFIG, "test").expect("config");
    for p in ["youzan", "taobao", "alibaba", "douyin", "doudian"] {
        config.set(p, "base_url", mock.base_url());
    }
    let client = config
        .client_builder()
        .expect("builder")
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("client");
    (mock, client)
}

/// The code Douyin's authorization page of the mock sends to the app: its redirect's `code`,
/// read off a raw request (a client would follow the redirect to the app's host).
pub async fn douyin_code(mock: &opengate_mock::MockHandle) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let path = "/platform/oauth/connect/?client_key=dy-key&response_type=code&scope=user_info&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s";
    let mut stream = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    let request = format!("GET {path} HTTP/1.0\r\nHost: mock\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("no redirect: {answer}"));
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}
