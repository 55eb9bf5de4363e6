//! Taobao's message service (TMC, 消息服务) over its WebSocket channel, as the official SDKs'
//! `TmcClient` speaks it (feature `tmc`).
//!
//! A session connects, sends a CONNECT frame signed like an API call (the TOP md5 signature of
//! `timestamp`, `app_key` and `group_name`) and gets a token in the CONNECTACK. The server then
//! sends data frames; each message goes through a [`Receiver`] (deduplication by message id,
//! the user's handler with its timeout), and only after it was handled (now or before) is it
//! confirmed; a failed one is reported failed, and the server sends it again. Every
//! `pull_every` (30 s, as the SDK) the client asks for pending messages as a safety net. A
//! dropped connection is reconnected with exponential backoff and jitter; messages that were
//! in flight are redelivered by the server and, already handled, confirmed without being
//! handled again. Message ids are 64-bit integers (above 2^53): they stay integers or text,
//! never a float.
//!
//! [`TmcClient::consume_over_http`] reads the same messages over HTTP instead
//! (`taobao.tmc.messages.consume`, then `taobao.tmc.messages.confirm` of those handled), for
//! hosts that cannot keep a WebSocket open.
//!

pub mod frame;

use self::frame::{Frame, Kind, Value};
use super::protocol::{Taobao, TaobaoSignMethod};
use crate::error::{Error, Result};
use crate::push::{Push, Receiver, ReceiverBuilder};
use crate::secret::Secret;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The production channel (the sandbox's is `ws://mc.api.tbsandbox.com/`).
pub const URL: &str = "ws://mc.api.taobao.com/";

/// `__kind` of a content map.
const PULL: u8 = 1;
const CONFIRM: u8 = 2;
const DATA: u8 = 3;
const FAILED: u8 = 20;

/// The reason sent with a failure (the server takes at most 128 bytes); the handler's own
/// error stays on this side.
const FAILURE: &str = "the handler failed";

/// A receiver for TMC messages: set its deduplication store and handler timeout, then give it
/// to [`TmcClient::new`]. It answers no HTTP deliveries (Taobao has no HTTP push).
pub fn receiver() -> ReceiverBuilder {
    Receiver::builder(Arc::new(TmcOnly))
}

/// The push rules behind [`receiver`]: the key namespace `taobao`, and no HTTP deliveries.
#[derive(Debug)]
struct TmcOnly;

impl crate::push::PushRules for TmcOnly {
    fn platform(&self) -> &str {
        "taobao"
    }
    fn content_types(&self) -> &'static [&'static str] {
        &[]
    }
    fn open(
        &self,
        _: &crate::push::Delivery<'_>,
    ) -> std::result::Result<crate::push::Opened, crate::push::Refusal> {
        Err(crate::push::Refusal::Malformed(
            "Taobao's messages come over TMC, not HTTP".into(),
        ))
    }
    fn success(&self) -> crate::push::Answer {
        crate::push::Answer::json(200, "{}")
    }
    fn failure(&self) -> crate::push::Answer {
        crate::push::Answer::json(500, "{}")
    }
}

/// How a [`TmcClient`] connects and paces itself.
#[derive(Clone)]
pub struct TmcSettings {
    pub url: String,
    pub app_key: String,
    pub app_secret: Secret,
    /// The message group (`default` unless the app set up others).
    pub group: String,
    /// How often to ask for pending messages (the SDK's 30 s).
    pub pull_every: Duration,
    /// The first reconnect's delay; it doubles per failed attempt up to `max_backoff`, and each
    /// wait is between half of that and all of it (the retries' rule).
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How many messages are handled at once.
    pub concurrency: usize,
}

impl std::fmt::Debug for TmcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TmcSettings")
            .field("url", &self.url)
            .field("app_key", &self.app_key)
            .field("group", &self.group)
            .field("pull_every", &self.pull_every)
            .finish_non_exhaustive()
    }
}

impl TmcSettings {
    /// The production channel, group `default`, the SDK's pacing.
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<Secret>) -> Self {
        TmcSettings {
            url: URL.into(),
            app_key: app_key.into(),
            app_secret: app_secret.into(),
            group: "default".into(),
            pull_every: Duration::from_secs(30),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            concurrency: 16,
        }
    }
}

/// A TMC consumer: [`TmcClient::run`] keeps a session open until told to stop.
#[derive(Debug, Clone)]
pub struct TmcClient {
    settings: Arc<TmcSettings>,
    receiver: Receiver,
}

/// Why a session ended.
#[derive(Debug)]
enum Ended {
    Stopped,
    /// The connection failed or was lost: reconnect.
    Lost(String),
    /// The server refused the CONNECT (key, secret or group): reconnecting will not help.
    Refused(String),
}

impl TmcClient {
    /// A client whose messages go through `receiver` (built from [`receiver`]).
    pub fn new(settings: TmcSettings, receiver: Receiver) -> Self {
        TmcClient {
            settings: Arc::new(settings),
            receiver,
        }
    }

    /// Connects, receives and confirms, reconnecting after any loss, until `stop` completes.
    /// A refused CONNECT (wrong key or secret) ends it with [`Error::Config`].
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::pin!(stop);
        let mut failures: u32 = 0;
        loop {
            let (ended, connected) = self.session(&mut stop).await;
            match ended {
                Ended::Stopped => return Ok(()),
                Ended::Refused(why) => return Err(Error::Config(why)),
                Ended::Lost(why) => {
                    // A session that got going starts the backoff over.
                    failures = if connected {
                        0
                    } else {
                        failures.saturating_add(1)
                    };
                    tracing::warn!(%why, attempt = failures, "tmc connection lost; reconnecting");
                }
            }
            let wait = backoff(&self.settings, failures);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => return Ok(()),
            }
        }
    }

    /// The CONNECT frame: the signed params and the SDK's name.
    fn connect_frame(&self) -> Frame {
        let s = &self.settings;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
            .to_string();
        let signed = [
            ("timestamp", timestamp.as_str()),
            ("app_key", s.app_key.as_str()),
            ("group_name", s.group.as_str()),
        ];
        let sign = Taobao::sign(s.app_secret.expose(), TaobaoSignMethod::Md5, &signed, None);
        let mut f = Frame::new(Kind::Connect);
        for (k, v) in signed {
            f = f.with(k, Value::Text(v.to_owned()));
        }
        f.with("sign", Value::Text(sign)).with(
            "sdk",
            Value::Text(concat!("opengate-", env!("CARGO_PKG_VERSION")).into()),
        )
    }

    /// One connection, from CONNECT to its loss or the stop; whether it was accepted.
    async fn session(
        &self,
        stop: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> (Ended, bool) {
        match self.connect().await {
            Ok((ws, token)) => (self.serve(ws, token, stop).await, true),
            Err(ended) => (ended, false),
        }
    }

    /// Opens the channel and sends CONNECT: the socket and the CONNECTACK's token.
    async fn connect(&self) -> std::result::Result<(Ws, String), Ended> {
        let s = &self.settings;
        let lost = |e: &dyn std::fmt::Display| Ended::Lost(format!("{}: {e}", s.url));
        let (mut ws, _) = tokio_tungstenite::connect_async(s.url.as_str())
            .await
            .map_err(|e| lost(&e))?;
        ws.send(WsMessage::Binary(self.connect_frame().encode().into()))
            .await
            .map_err(|e| lost(&e))?;
        loop {
            let msg = match ws.next().await {
                None => return Err(lost(&"closed before CONNECTACK")),
                Some(m) => m.map_err(|e| lost(&e))?,
            };
            let WsMessage::Binary(bytes) = msg else {
                continue;
            };
            let f = Frame::decode(&bytes).map_err(|e| lost(&e))?;
            if f.kind != Kind::ConnectAck {
                continue;
            }
            if f.status_code > 0 {
                return Err(Ended::Refused(format!(
                    "tmc refused the connection: {} {}",
                    f.status_code,
                    f.status_phrase.unwrap_or_default()
                )));
            }
            return Ok((ws, f.token.unwrap_or_default()));
        }
    }

    /// Receives, handles and confirms until the connection is lost or `stop` completes.
    async fn serve(
        &self,
        mut ws: Ws,
        token: String,
        stop: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> Ended {
        let s = &self.settings;
        tracing::info!(url = %s.url, group = %s.group, "tmc connected");
        let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<(Value, bool)>(s.concurrency);
        let slots = Arc::new(tokio::sync::Semaphore::new(s.concurrency.max(1)));
        let mut pull =
            tokio::time::interval_at(tokio::time::Instant::now() + s.pull_every, s.pull_every);
        let send = |f: Frame| WsMessage::Binary(f.encode().into());
        let with_token = |f: Frame| Frame {
            token: Some(token.clone()),
            ..f
        };
        loop {
            tokio::select! {
                () = &mut *stop => {
                    let _ = ws.close(None).await;
                    return Ended::Stopped;
                }
                _ = pull.tick() => {
                    let f = with_token(Frame::new(Kind::Send).with("__kind", Value::Byte(PULL)));
                    if let Err(e) = ws.send(send(f)).await {
                        return Ended::Lost(e.to_string());
                    }
                }
                Some((id, handled)) = done_rx.recv() => {
                    let f = if handled {
                        Frame::new(Kind::Send).with("__kind", Value::Byte(CONFIRM)).with("id", id)
                    } else {
                        Frame::new(Kind::Send)
                            .with("__kind", Value::Byte(FAILED))
                            .with("id", id)
                            .with("msg", Value::Text(FAILURE.into()))
                    };
                    if let Err(e) = ws.send(send(with_token(f))).await {
                        return Ended::Lost(e.to_string());
                    }
                }
                msg = ws.next() => {
                    let bytes = match msg {
                        None | Some(Ok(WsMessage::Close(_))) => return Ended::Lost("closed by the server".into()),
                        Some(Err(e)) => return Ended::Lost(e.to_string()),
                        Some(Ok(WsMessage::Binary(b))) => b,
                        Some(Ok(_)) => continue,
                    };
                    let f = match Frame::decode(&bytes) {
                        Ok(f) => f,
                        Err(e) => {
                            tracing::warn!(error = %e, "tmc: a frame that does not decode; skipped");
                            continue;
                        }
                    };
                    if f.kind != Kind::Send || f.get("__kind").and_then(Value::as_i64) != Some(i64::from(DATA)) {
                        continue;
                    }
                    let Some((id, push)) = data_push(&f) else {
                        tracing::warn!("tmc: a data frame without an id; skipped");
                        continue;
                    };
                    let permit = slots.clone().acquire_owned().await;
                    let (receiver, done) = (self.receiver.clone(), done_tx.clone());
                    tokio::spawn(async move {
                        let handled = receiver.handle_message(push).await;
                        drop(permit);
                        // The session may be gone: the server redelivers what was not confirmed.
                        let _ = done.send((id, handled)).await;
                    });
                }
            }
        }
    }
}

/// `taobao.tmc.messages.consume` and `taobao.tmc.messages.confirm`, as the TOP metadata
/// describes them (version and method by TOP's rule: the router's 2.0, POST).
static CONSUME: crate::ApiDesc = tmc_api("taobao.tmc.messages.consume", true);
static CONFIRM_API: crate::ApiDesc = tmc_api("taobao.tmc.messages.confirm", false);

const fn tmc_api(name: &'static str, idempotent: bool) -> crate::ApiDesc {
    crate::desc::StaticApi {
        platform: "taobao",
        name,
        version: "2.0",
        method: crate::HttpMethod::Post,
        base_url: "https://gw.api.taobao.com",
        path: "",
        namespace: "",
        auth: crate::AuthKind::User,
        idempotent,
        params: &[],
    }
    .desc()
}

/// The most messages one consume call asks for (the API takes 10 to 200).
const BATCH: u32 = 100;

impl TmcClient {
    /// Reads the messages over HTTP until `stop` completes: `taobao.tmc.messages.consume` of
    /// up to 100 at a time on the settings' group, each through the receiver, then
    /// `taobao.tmc.messages.confirm` of those handled (now or before). A failed message is not
    /// confirmed, and the server gives it out again later (the API's list of failed ids is
    /// retired). When a call finds none, it waits `pull_every`; a failed call is retried after
    /// the backoff. `client` calls Taobao with the app's session.
    pub async fn consume_over_http(
        &self,
        client: &crate::Client,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(stop);
        let mut failures: u32 = 0;
        loop {
            let wait = match self.consume_once(client).await {
                Ok(0) => {
                    failures = 0;
                    self.settings.pull_every
                }
                Ok(_) => {
                    failures = 0;
                    Duration::ZERO
                }
                Err(e @ Error::Config(_)) => return Err(e),
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, attempt = failures, "tmc consume over HTTP failed");
                    backoff(&self.settings, failures)
                }
            };
            tokio::select! {
                biased;
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One consume call, its messages handled and the handled ones confirmed: how many came.
    async fn consume_once(&self, client: &crate::Client) -> Result<usize> {
        let group = self.settings.group.as_str();
        let request = serde_json::json!({ "group_name": group, "quantity": BATCH });
        let params = crate::to_params(&CONSUME, &request)?;
        let raw = client.execute(&CONSUME, &params, &[]).await?;
        // TOP wraps the list (`{"tmc_message": [...]}`): read as the paging code reads lists.
        let messages = crate::paging::elements(raw.data(), &["messages"]);
        let count = messages.len();
        let mut handled = Vec::new();
        let mut work = tokio::task::JoinSet::new();
        for m in messages {
            let Some(push) = http_push(m) else {
                tracing::warn!("tmc: a consumed message without an id; skipped");
                continue;
            };
            let receiver = self.receiver.clone();
            work.spawn(async move {
                let id = push.id.clone();
                receiver.handle_message(push).await.then_some(id)
            });
        }
        while let Some(done) = work.join_next().await {
            handled.extend(done.ok().flatten());
        }
        if !handled.is_empty() {
            let request = serde_json::json!({
                "group_name": group,
                "s_message_ids": handled.join(","),
            });
            let params = crate::to_params(&CONFIRM_API, &request)?;
            client.execute(&CONFIRM_API, &params, &[]).await?;
        }
        Ok(count)
    }
}

/// A consumed message as a push: its id exact as the JSON number (or text) it came as.
fn http_push(m: &serde_json::Value) -> Option<Push> {
    let text = |k: &str| crate::protocol::text_of(m.get(k));
    let shop = text("user_id").or_else(|| text("user_nick"));
    let payload = text("content").unwrap_or_default().into_bytes();
    Some(tmc_push(text("id")?, text("topic"), shop, payload))
}

/// The wait before reconnecting (or consuming again) after `failures` failed attempts in a row.
fn backoff(s: &TmcSettings, failures: u32) -> Duration {
    crate::backoff::backoff(s.min_backoff, s.max_backoff, failures.saturating_add(1))
}

/// A consumed or pushed message as a push: platform `taobao`, its id the dedup key.
fn tmc_push(id: String, topic: Option<String>, shop: Option<String>, payload: Vec<u8>) -> Push {
    Push {
        platform: Arc::from("taobao"),
        kind: topic.unwrap_or_default(),
        key: id.clone(),
        id,
        shop,
        test: false,
        payload: payload.into(),
    }
}

/// A data frame's message: its id as sent (for the confirm) and the push. The content is JSON
/// text, or gzip bytes of it.
fn data_push(f: &Frame) -> Option<(Value, Push)> {
    let id = f.get("id")?.clone();
    let id_text = id.to_text()?;
    let text = |name: &str| f.get(name).and_then(Value::to_text);
    let payload = match f.get("content") {
        Some(Value::Bytes(b)) if b.starts_with(&[0x1f, 0x8b]) => {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&b[..]), &mut out).ok()?;
            out
        }
        Some(v) => v.to_text().unwrap_or_default().into_bytes(),
        None => Vec::new(),
    };
    let shop = text("userid").or_else(|| text("nick"));
    Some((id, tmc_push(id_text, text("topic"), shop, payload)))
}
