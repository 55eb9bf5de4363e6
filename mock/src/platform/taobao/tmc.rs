//! Taobao's message service (TMC) over WebSocket: a channel that checks the CONNECT's TOP md5
//! signature with the mock's own code, delivers published messages as data frames, takes
//! confirms and failures, answers pulls, redelivers on every new connection what was not
//! confirmed, and can drop a connection in the middle of a delivery. Its frame codec is its own
//! (`MessageIO` of the official SDKs, protocol version 2, little-endian), not the runtime's.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message as Ws;

/// The first message id: above 2^53, where a float would round it.
const FIRST_ID: i64 = 9_007_199_254_740_993;

#[derive(Debug, Clone, PartialEq)]
enum V {
    Void,
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
}

#[derive(Debug, Default)]
struct Frame {
    kind: u8,
    status: i32,
    phrase: Option<String>,
    token: Option<String>,
    content: Vec<(String, V)>,
}

impl Frame {
    fn get(&self, k: &str) -> Option<&V> {
        self.content.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }
    fn text(&self, k: &str) -> Option<&str> {
        match self.get(k) {
            Some(V::Text(t)) => Some(t),
            _ => None,
        }
    }
    fn int(&self, k: &str) -> Option<i64> {
        match self.get(k) {
            Some(V::Int(n)) => Some(*n),
            Some(V::Text(t)) => t.parse().ok(),
            _ => None,
        }
    }
}

fn put_str(out: &mut Vec<u8>, b: &[u8]) {
    out.extend((b.len() as i32).to_le_bytes());
    out.extend(b);
}

fn encode(f: &Frame) -> Vec<u8> {
    let mut out = vec![2, f.kind];
    if f.status > 0 {
        out.extend(2i16.to_le_bytes());
        out.extend(f.status.to_le_bytes());
    }
    if let Some(p) = &f.phrase {
        out.extend(3i16.to_le_bytes());
        put_str(&mut out, p.as_bytes());
    }
    if let Some(t) = &f.token {
        out.extend(5i16.to_le_bytes());
        put_str(&mut out, t.as_bytes());
    }
    for (k, v) in &f.content {
        out.extend(1i16.to_le_bytes());
        put_str(&mut out, k.as_bytes());
        match v {
            V::Void => out.push(0),
            V::Text(t) => {
                out.push(1);
                put_str(&mut out, t.as_bytes());
            }
            V::Int(n) => {
                out.push(5);
                out.extend(n.to_le_bytes());
            }
            V::Bytes(b) => {
                out.push(7);
                put_str(&mut out, b);
            }
        }
    }
    out.extend(0i16.to_le_bytes());
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        let len = usize::try_from(i32::from_le_bytes(self.array()?)).ok()?;
        self.take(len).map(<[u8]>::to_vec)
    }
    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.string()?).ok()
    }
}

fn decode(b: &[u8]) -> Option<Frame> {
    let mut r = Reader(b);
    if r.array::<1>()? != [2] {
        return None;
    }
    let mut f = Frame {
        kind: r.array::<1>()?[0],
        ..Frame::default()
    };
    loop {
        match i16::from_le_bytes(r.array()?) {
            0 => return Some(f),
            1 => {
                let name = r.text()?;
                let v = match r.array::<1>()?[0] {
                    0 => V::Void,
                    1 => V::Text(r.text()?),
                    2 => V::Int(i64::from(r.array::<1>()?[0])),
                    3 => V::Int(i64::from(i16::from_le_bytes(r.array()?))),
                    4 => V::Int(i64::from(i32::from_le_bytes(r.array()?))),
                    5 | 6 => V::Int(i64::from_le_bytes(r.array()?)),
                    7 => V::Bytes(r.string()?),
                    _ => return None,
                };
                f.content.push((name, v));
            }
            2 | 4 => f.status = i32::from_le_bytes(r.array()?),
            3 => f.phrase = r.text(),
            5 => f.token = r.text(),
            _ => return None,
        }
    }
}

#[derive(Debug, Clone)]
struct Message {
    topic: String,
    content: String,
    user_id: i64,
}

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    /// Published and not yet confirmed, by id.
    pending: BTreeMap<i64, Message>,
    confirmed: Vec<i64>,
    failures: u64,
    deliveries: u64,
    connections: u64,
    refused: u64,
    /// Given out by a consume over HTTP, and when: not given out again for a while.
    leased: BTreeMap<i64, std::time::Instant>,
    /// Drops to come: the connection goes after the first count's data frames, then the next
    /// count starts.
    drops: std::collections::VecDeque<u64>,
}

/// A running TMC channel of the mock (from [`crate::MockHandle::start_tmc`]).
#[derive(Debug, Clone)]
pub struct TmcHandle {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    published: Arc<Notify>,
}

impl TmcHandle {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// `ws://127.0.0.1:PORT/`, the URL to give the TMC client.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
    /// Publishes a message of `topic` with `content` (JSON text) for seller `user_id`; its id.
    pub fn publish(&self, topic: &str, content: &str, user_id: i64) -> i64 {
        let id = {
            let mut s = self.lock();
            let id = FIRST_ID + s.next_id;
            s.next_id += 1;
            s.pending.insert(
                id,
                Message {
                    topic: topic.into(),
                    content: content.into(),
                    user_id,
                },
            );
            id
        };
        self.published.notify_waiters();
        id
    }
    /// Drops the connection (no close frame) right after `n` more data frames; called again,
    /// queues a drop `n` data frames after the one before.
    pub fn drop_after(&self, n: u64) {
        self.lock().drops.push_back(n);
    }
    /// Confirmed message ids, in the order they were confirmed.
    pub fn confirmed(&self) -> Vec<i64> {
        self.lock().confirmed.clone()
    }
    /// Messages published and not confirmed.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }
    /// Data frames sent, redeliveries included.
    pub fn deliveries(&self) -> u64 {
        self.lock().deliveries
    }
    /// Failures the client reported.
    pub fn failures(&self) -> u64 {
        self.lock().failures
    }
    /// Connections accepted (CONNECT signed right).
    pub fn connections(&self) -> u64 {
        self.lock().connections
    }
    /// Connections refused (a bad app key or signature).
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }
}

/// How long a message given out over HTTP waits to be confirmed before it is given out again.
const LEASE: std::time::Duration = std::time::Duration::from_millis(300);

impl TmcHandle {
    /// `taobao.tmc.messages.consume` and `taobao.tmc.messages.confirm` over HTTP, from the same
    /// messages: the data of the answer, or `None` for another API.
    pub(crate) fn http_api(
        &self,
        name: &str,
        params: &[(String, String)],
    ) -> Option<serde_json::Value> {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let mut s = self.lock();
        match name {
            "taobao.tmc.messages.consume" => {
                let quantity = get("quantity")
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(100usize);
                let now = std::time::Instant::now();
                let due: Vec<(i64, Message)> = s
                    .pending
                    .iter()
                    .filter(|(id, _)| {
                        s.leased
                            .get(id)
                            .is_none_or(|at| now.duration_since(*at) >= LEASE)
                    })
                    .take(quantity)
                    .map(|(id, m)| (*id, m.clone()))
                    .collect();
                s.deliveries += due.len() as u64;
                let list: Vec<serde_json::Value> = due
                    .iter()
                    .map(|(id, m)| {
                        s.leased.insert(*id, now);
                        serde_json::json!({
                            "id": id, "topic": m.topic, "content": m.content,
                            "user_id": m.user_id, "pub_app_key": "4272",
                            "pub_time": "2024-03-01 12:00:00",
                        })
                    })
                    .collect();
                // TOP wraps a list in a member named for its element type.
                Some(serde_json::json!({ "messages": { "tmc_message": list } }))
            }
            "taobao.tmc.messages.confirm" => {
                for id in get("s_message_ids").unwrap_or_default().split(',') {
                    if let Ok(id) = id.trim().parse::<i64>() {
                        if s.pending.remove(&id).is_some() {
                            s.leased.remove(&id);
                            s.confirmed.push(id);
                        }
                    }
                }
                Some(serde_json::json!({ "is_success": true }))
            }
            _ => None,
        }
    }
}

/// Starts a TMC channel for the app `app_key` / `secret` on 127.0.0.1.
pub async fn start(app_key: String, secret: String) -> std::io::Result<TmcHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let handle = TmcHandle {
        addr: listener.local_addr()?,
        state: Arc::default(),
        published: Arc::new(Notify::new()),
    };
    let server = handle.clone();
    let app = Arc::new((app_key, secret));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (h, app) = (server.clone(), app.clone());
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                    session(ws, h, &app.0, &app.1).await;
                }
            });
        }
    });
    Ok(handle)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn session(mut ws: Socket, h: TmcHandle, app_key: &str, secret: &str) {
    // CONNECT: the TOP md5 signature of everything but `sign` and `sdk`.
    let Some(Ok(Ws::Binary(first))) = ws.next().await else {
        return;
    };
    let Some(connect) = decode(&first).filter(|f| f.kind == 0) else {
        return;
    };
    let signed: Vec<(String, String)> = ["timestamp", "app_key", "group_name"]
        .iter()
        .filter_map(|k| Some(((*k).to_owned(), connect.text(k)?.to_owned())))
        .collect();
    let good = connect.text("app_key") == Some(app_key)
        && super::sign::top(&signed, secret, "md5").as_deref() == connect.text("sign");
    if !good {
        h.lock().refused += 1;
        let ack = Frame {
            kind: 1,
            status: 401,
            phrase: Some("invalid app_key or sign".into()),
            ..Frame::default()
        };
        let _ = ws.send(Ws::Binary(encode(&ack).into())).await;
        let _ = ws.close(None).await;
        return;
    }
    let token = {
        let mut s = h.lock();
        s.connections += 1;
        format!("tmc-token-{}", s.connections)
    };
    let ack = Frame {
        kind: 1,
        token: Some(token.clone()),
        ..Frame::default()
    };
    if ws.send(Ws::Binary(encode(&ack).into())).await.is_err() {
        return;
    }
    // Sent on this connection and neither confirmed nor failed: not sent again on it.
    let mut sent: BTreeSet<i64> = BTreeSet::new();
    // Reported failed on this connection: sent again after the next pull.
    let mut failed: BTreeSet<i64> = BTreeSet::new();
    loop {
        let published = h.published.notified();
        // Everything pending that this connection does not hold: at connect, after a publish,
        // on a pull, after a failure.
        let due: Vec<(i64, Message)> = h
            .lock()
            .pending
            .iter()
            .filter(|(id, _)| !sent.contains(id))
            .map(|(id, m)| (*id, m.clone()))
            .collect();
        for (id, m) in due {
            let data = Frame {
                kind: 2,
                content: vec![
                    ("__kind".into(), V::Int(3)),
                    ("id".into(), V::Int(id)),
                    ("topic".into(), V::Text(m.topic)),
                    ("content".into(), V::Text(m.content)),
                    ("userid".into(), V::Int(m.user_id)),
                    ("publisher".into(), V::Text("4272".into())),
                ],
                ..Frame::default()
            };
            if ws.send(Ws::Binary(encode(&data).into())).await.is_err() {
                return;
            }
            sent.insert(id);
            let drop_now = {
                let mut s = h.lock();
                s.deliveries += 1;
                match s.drops.front_mut() {
                    Some(n) if *n <= 1 => {
                        s.drops.pop_front();
                        true
                    }
                    Some(n) => {
                        *n -= 1;
                        false
                    }
                    None => false,
                }
            };
            if drop_now {
                // Mid-stream: the socket goes away without a close frame.
                return;
            }
        }
        tokio::select! {
            () = published => {}
            msg = ws.next() => {
                let bytes = match msg {
                    Some(Ok(Ws::Binary(b))) => b,
                    Some(Ok(Ws::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let Some(f) = decode(&bytes) else { return };
                if f.kind != 2 || f.token.as_deref() != Some(token.as_str()) {
                    continue;
                }
                match f.int("__kind") {
                    Some(2) => {
                        if let Some(id) = f.int("id") {
                            let mut s = h.lock();
                            if s.pending.remove(&id).is_some() {
                                s.confirmed.push(id);
                            }
                        }
                    }
                    Some(20) => {
                        if let Some(id) = f.int("id") {
                            h.lock().failures += 1;
                            failed.insert(id);
                        }
                    }
                    // A pull: what failed is due again (the loop's top sends it).
                    Some(1) => {
                        for id in std::mem::take(&mut failed) {
                            sent.remove(&id);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

impl crate::MockHandle {
    /// Starts Taobao's TMC channel for the `[taobao]` app of the config, on a port of its own
    /// (`ws://127.0.0.1:PORT/`).
    pub async fn start_tmc(&self) -> std::io::Result<TmcHandle> {
        let app = |key: &str| self.gw.get("taobao", key).unwrap_or_default().to_owned();
        let channel = start(app("app_key"), app("app_secret")).await?;
        // The HTTP consume and confirm APIs now answer from its messages.
        self.gw.lock().tmc = Some(channel.clone());
        Ok(channel)
    }
}

/// `/__mock/tmc` (GET: what was confirmed; POST: publish a message) and `/__mock/tmc/drop`
/// (POST: drop the connection after N more deliveries), on the channel once started.
pub(crate) fn control(
    channel: Option<&TmcHandle>,
    method: &str,
    path: &str,
    body: &[u8],
) -> crate::Reply {
    use crate::json_reply;
    let Some(tmc) = channel else {
        return json_reply(
            404,
            &json!({"error": "no TMC channel: [taobao] has no app_key"}),
        );
    };
    let body: Value = serde_json::from_slice(body).unwrap_or_default();
    match (method, path) {
        ("GET", "tmc") => json_reply(
            200,
            &json!({"url": tmc.url(), "confirmed": tmc.confirmed(), "pending": tmc.pending(),
                    "connections": tmc.connections(), "deliveries": tmc.deliveries()}),
        ),
        ("POST", "tmc") => match (body["topic"].as_str(), body["content"].as_str()) {
            (Some(topic), Some(content)) => {
                let id = tmc.publish(topic, content, body["user_id"].as_i64().unwrap_or(0));
                json_reply(200, &json!({ "id": id }))
            }
            _ => json_reply(
                400,
                &json!({"error": "expected {\"topic\", \"content\", \"user_id\"?}"}),
            ),
        },
        ("POST", "tmc/drop") => match body["after"].as_u64() {
            Some(n) => {
                tmc.drop_after(n);
                json_reply(200, &json!({"ok": true}))
            }
            None => json_reply(400, &json!({"error": "expected {\"after\": N}"})),
        },
        _ => json_reply(405, &json!({"error": "GET or POST"})),
    }
}
