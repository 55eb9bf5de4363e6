//! `opengate push verify|listen`: a push's signature checked with the app's credentials from the
//! config, and a receiver that prints each verified message as a JSON line.

use super::{runtime, Fail};
use opengate::push::{Delivery, Opened, Push, PushRules, Receiver};
use opengate::Config;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// A header given as `NAME=VALUE` (or `NAME: VALUE`, as copied from a log).
fn header(raw: &str) -> Result<(http::HeaderName, http::HeaderValue), Fail> {
    let (name, value) = raw
        .split_once('=')
        .or_else(|| raw.split_once(':'))
        .ok_or_else(|| Fail(3, format!("--header `{raw}`: expected NAME=VALUE")))?;
    let name = http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        Fail(
            3,
            format!("--header: `{}` is not a header name", name.trim()),
        )
    })?;
    let value = http::HeaderValue::from_str(value.trim()).map_err(|_| {
        Fail(
            3,
            format!("--header {name}: the value is not a header value"),
        )
    })?;
    Ok((name, value))
}

fn rules(
    config: &Config,
    platform: &str,
    platforms: &[(&str, &str)],
) -> Result<Arc<dyn PushRules>, Fail> {
    config
        .push_rules_for(platform, platforms)
        .map_err(|e| Fail(3, opengate::error_chain(&e)))
}

/// Exit 0 with the messages as JSON lines when the signature holds, 1 when it does not, 3 for
/// bad input (an unreadable file, a platform without push rules, a signed body that is not a push).
pub fn verify(
    config: &Config,
    platforms: &[(&str, &str)],
    platform: &str,
    body_file: &Path,
    headers: &[String],
    query: Option<&str>,
) -> Result<(), Fail> {
    let rules = rules(config, platform, platforms)?;
    let body = if body_file == Path::new("-") {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Fail(3, format!("cannot read stdin: {e}")))?;
        b
    } else {
        std::fs::read(body_file)
            .map_err(|e| Fail(3, format!("cannot read {}: {e}", body_file.display())))?
    };
    let mut map = http::HeaderMap::new();
    for raw in headers {
        let (name, value) = header(raw)?;
        map.append(name, value);
    }
    let delivery = Delivery {
        headers: &map,
        query,
        body: &body,
    };
    match rules.open(&delivery) {
        Ok(Opened::Messages(messages)) => {
            let mut out = std::io::stdout().lock();
            for m in messages {
                let _ = writeln!(out, "{}", m.to_json_line());
            }
            Ok(())
        }
        Ok(Opened::Handshake(answer)) => {
            let body = String::from_utf8_lossy(&answer.body);
            println!("{}", serde_json::json!({"handshake": body}));
            Ok(())
        }
        Err(refusal) if refusal.is_signature() => Err(Fail(1, format!("{platform}: {refusal}"))),
        Err(refusal) => Err(Fail(3, format!("{platform}: {refusal}"))),
    }
}

/// Serves a receiver per platform (`/push/<platform>`, and `/` when there is one) until killed;
/// each handled message is one JSON line on stdout, flushed before the push is acknowledged.
pub fn listen(
    config: &Config,
    platforms: &[(&str, &str)],
    only: Option<&str>,
    listen: &str,
) -> Result<(), Fail> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Fail(
            3,
            format!("--listen: `{listen}` is not an address like 127.0.0.1:8080"),
        )
    })?;
    runtime()?.block_on(async move {
        // Every platform folder with push credentials in the config, or the one asked for.
        let names: Vec<&str> = match only {
            Some(p) => vec![p],
            None => platforms
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| config.push_rules_for(n, platforms).is_ok())
                .collect(),
        };
        if names.is_empty() {
            return Err(Fail(
                3,
                "no platform in the config has push credentials".into(),
            ));
        }
        let mut receivers = BTreeMap::new();
        for name in &names {
            let builder = config
                .push_receiver_for(name, platforms)
                .map_err(|e| Fail(3, opengate::error_chain(&e)))?;
            receivers.insert(format!("/push/{name}"), builder.build(print));
        }
        if let [one] = names.as_slice() {
            let r = receivers[&format!("/push/{one}")].clone();
            receivers.insert("/".into(), r);
        }
        let limits = config
            .push_server_limits()
            .map_err(|e| Fail(3, opengate::error_chain(&e)))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Fail(3, format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr().map_err(|e| Fail(3, e.to_string()))?;
        let paths: Vec<&str> = receivers.keys().map(String::as_str).collect();
        eprintln!("listening on http://{local} ({})", paths.join(", "));
        serve(listener, limits, Arc::new(receivers)).await;
        Ok(())
    })
}

async fn print(push: Push) -> Result<(), std::io::Error> {
    // A closed stdout fails the message, so that the platform redelivers it.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", push.to_json_line())?;
    out.flush()
}

async fn serve(
    listener: tokio::net::TcpListener,
    limits: opengate::server::ServerLimits,
    receivers: Arc<BTreeMap<String, Receiver>>,
) {
    use tower_service::Service as _;
    opengate::server::serve(listener, limits, |_| {
        let receivers = receivers.clone();
        hyper::service::service_fn(move |req: hyper::Request<opengate::server::Body>| {
            let receiver = receivers.get(req.uri().path()).cloned();
            async move {
                match receiver {
                    Some(r) => r.service().call(req).await,
                    None => Ok(not_found()),
                }
            }
        })
    })
    .await;
}

fn not_found() -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::from_static(
        br#"{"code":404,"msg":"no receiver at this path"}"#,
    )));
    *r.status_mut() = http::StatusCode::NOT_FOUND;
    r
}
