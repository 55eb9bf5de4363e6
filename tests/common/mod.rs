//! Shared test setup: the real mock gateway on 127.0.0.1 and a client pointed at it.
#![allow(dead_code)]

pub mod redis_server;

use opengate::{Client, Config, RetryPolicy};
use opengate_mock::{MockGateway, MockHandle};
use std::path::PathBuf;
use std::time::Duration;

pub const CONFIG: &str = r#"
[youzan]
client_id = "yz-client"
client_secret = "yz-secret-XYZ"
grant_id = "42587152"

[taobao]
app_key = "12345678"
app_secret = "tb-secret-XYZ"
sign_method = "md5"
session = "tb-session-XYZ"

[alibaba]
app_key = "1234567"
app_secret = "aop-secret-XYZ"
access_token = "aop-token-XYZ"

[douyin]
client_key = "dy-key"
client_secret = "dy-secret-XYZ"
access_token = "act.dy-user-XYZ"

[doudian]
app_key = "7000000000000000001"
app_secret = "dd-secret-XYZ"
sign_method = "hmac-sha256"
shop_id = "100200"
"#;

pub fn specs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs")
}

pub async fn mock() -> MockHandle {
    mock_with(CONFIG).await
}

/// The mock gateway with a config of its own (e.g. `CONFIG` plus a refresh token).
pub async fn mock_with(config: &str) -> MockHandle {
    MockGateway::new(&specs(), config)
        .expect("specs and config load")
        .start(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback")
}

pub fn config_for(mock: &MockHandle, overrides: &[(&str, &str, &str)]) -> Config {
    let mut c = Config::from_toml(CONFIG, "test").expect("valid config");
    for p in ["youzan", "taobao", "alibaba", "douyin", "doudian"] {
        c.set(p, "base_url", mock.base_url());
    }
    for (t, k, v) in overrides {
        c.set(t, k, *v);
    }
    c
}

/// One signed call of `platform` (`taobao`, `alibaba` or `doudian`: the platforms that sign
/// with the app secret), for tests of what a wrong secret does.
pub async fn signed_call(client: &Client, platform: &str) -> opengate::Result<()> {
    use opengate_apis::{alibaba, doudian, taobao, ClientExt};
    match platform {
        "taobao" => client
            .taobao()
            .item_seller_get_v2_0(taobao::item_seller_get_v2_0::Request::new("num_iid", 1))
            .await
            .map(|_| ()),
        "alibaba" => client
            .alibaba()
            .product_get_v1(alibaba::product_get_v1::Request::new(1, "1688"))
            .await
            .map(|_| ()),
        "doudian" => client
            .doudian()
            .product_detail_v2(doudian::product_detail_v2::Request::new().product_id("1"))
            .await
            .map(|_| ()),
        other => panic!("no signed call for `{other}`"),
    }
}

/// A client with fast retries so fault tests stay quick.
pub fn client(mock: &MockHandle, overrides: &[(&str, &str, &str)]) -> Client {
    config_for(mock, overrides)
        .client_builder()
        .expect("builder")
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            retry_non_idempotent: false,
        })
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// The bytes tracing writes, captured.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Installs, once per test binary, a global subscriber at `TRACE` writing here. Global, not
    /// scoped: callsites first hit by other threads must not cache "no interest".
    pub fn install() -> Captured {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only subscriber of this test binary");
        logs
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
