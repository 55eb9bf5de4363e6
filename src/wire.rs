//! The HTTP exchange as the runtime sees it, and the pluggable transport.

pub use crate::error::TransportError;
use crate::secret::redact_url;
use crate::types::File;
use crate::HttpMethod;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The body of a request.
#[derive(Clone)]
pub enum Body {
    Empty,
    Bytes {
        content_type: String,
        bytes: bytes::Bytes,
    },
    /// `multipart/form-data`: text fields then files.
    Multipart {
        fields: Vec<(String, String)>,
        files: Vec<(String, File)>,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies may carry tokens (Doudian refresh) or secrets (token endpoints): show sizes only.
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes {
                content_type,
                bytes,
            } => write!(f, "Bytes({content_type}, {} bytes)", bytes.len()),
            Body::Multipart { fields, files } => write!(
                f,
                "Multipart({} fields, {} files)",
                fields.len(),
                files.len()
            ),
        }
    }
}

/// A fully built, signed request.
#[derive(Clone)]
pub struct WireRequest {
    pub method: HttpMethod,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl fmt::Debug for WireRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers may carry tokens (`access-token`); the URL may carry them too.
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("WireRequest")
            .field("method", &self.method)
            .field("url", &redact_url(self.url.as_str()))
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}

/// What came back.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WireResponse {
    pub status: u16,
    pub body: bytes::Bytes,
    /// The `Retry-After` header, in seconds or as an HTTP date, as a wait from now.
    pub retry_after: Option<Duration>,
}

impl WireResponse {
    pub fn new(status: u16, body: impl Into<bytes::Bytes>) -> Self {
        WireResponse {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    /// With the wait a `Retry-After` header gave.
    pub fn retry_after(mut self, wait: Option<Duration>) -> Self {
        self.retry_after = wait;
        self
    }
}

/// A `Retry-After` value (RFC 9110 10.2.3): whole seconds, or an HTTP date (a wait from now, zero
/// when past). Anything else is no instruction.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let at = u64::try_from(at.timestamp()).unwrap_or(0);
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// The default cap on an answer's body: 64 MiB, many times the largest real answer (a full
/// category tree, a day of messages), and bounded.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

/// Sends requests. Object-safe so tests and users can swap it.
pub trait Transport: Send + Sync + fmt::Debug {
    fn send(
        &self,
        request: WireRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<WireResponse, TransportError>>;
}

/// The default transport: reqwest with rustls. It follows no redirect and sends no `Referer`
/// (a redirect is [`TransportError::Redirect`]), and reads at most `max_body` bytes of an answer
/// (then [`TransportError::TooLarge`]), chunk by chunk, so a hostile or broken gateway can make
/// it neither leak credentials nor hold more than that in memory.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body: usize,
}

impl ReqwestTransport {
    pub fn new(connect_timeout: Duration, max_body: usize) -> Result<Self, crate::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .map_err(|e| {
                crate::Error::Config(format!("cannot build the HTTP client: {}", e.without_url()))
            })?;
        Ok(ReqwestTransport { client, max_body })
    }

    /// The body, read against the cap.
    async fn body(&self, mut resp: reqwest::Response) -> Result<bytes::Bytes, TransportError> {
        let too_large = TransportError::TooLarge {
            limit: self.max_body,
        };
        let announced = resp.content_length().unwrap_or(0);
        if announced > self.max_body as u64 {
            return Err(too_large);
        }
        // What the answer announces, within the cap; never more up front.
        let mut body = bytes::BytesMut::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if chunk.len() > self.max_body - body.len() {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// Where a redirect points, without what could carry a credential: no query, fragment or user
/// info, at most 200 characters.
fn where_to(location: &str) -> String {
    let text = match reqwest::Url::parse(location) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            // Fails only for URLs that cannot have user info, which then have none.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => location
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    text.chars().take(200).collect()
}

fn classify(e: reqwest::Error) -> TransportError {
    let e = e.without_url();
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(crate::error::error_chain(&e))
    } else {
        TransportError::Io(crate::error::error_chain(&e))
    }
}

impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: WireRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<WireResponse, TransportError>> {
        Box::pin(async move {
            let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
                .unwrap_or(reqwest::Method::POST);
            let mut rb = self.client.request(method, request.url).timeout(timeout);
            for (k, v) in &request.headers {
                rb = rb.header(k, v);
            }
            rb = match request.body {
                Body::Empty => rb,
                Body::Bytes {
                    content_type,
                    bytes,
                } => rb.header("content-type", content_type).body(bytes),
                Body::Multipart { fields, files } => {
                    let mut form = reqwest::multipart::Form::new();
                    for (k, v) in fields {
                        form = form.text(k, v);
                    }
                    for (k, f) in files {
                        let part = reqwest::multipart::Part::bytes(f.bytes.to_vec())
                            .file_name(f.file_name.clone())
                            .mime_str(&f.content_type)
                            .map_err(|e| {
                                TransportError::Io(format!(
                                    "bad content type of file `{k}`: {}",
                                    e.without_url()
                                ))
                            })?;
                        form = form.part(k, part);
                    }
                    rb.multipart(form)
                }
            };
            let resp = rb.send().await.map_err(classify)?;
            let status = resp.status().as_u16();
            if resp.status().is_redirection() && status != 304 {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|l| where_to(&String::from_utf8_lossy(l.as_bytes())))
                    .unwrap_or_default();
                return Err(TransportError::Redirect { status, location });
            }
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let body = self.body(resp).await?;
            Ok(WireResponse::new(status, body).retry_after(retry_after))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a past date: no wait"
        );
        let ahead = parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT").unwrap();
        assert!(ahead > Duration::from_secs(365 * 24 * 3600));
        for bad in ["", "soon", "-5", "1.5"] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }
}
