//! HTTP for the mock: hyper serves every connection (HTTP/1.0 and 1.1, keep-alive,
//! `Expect: 100-continue`, chunked bodies); the two faults a server library would hide, a
//! reset and a truncated answer, are made on the same connection (see [`Reply`]).

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use opengate_server::Body as ServerBody;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to send back.
#[derive(Debug, Clone)]
pub enum Reply {
    Json {
        status: u16,
        body: String,
        delay: Option<Duration>,
    },
    /// HTTP 302 to `location`.
    Redirect { location: String },
    /// Close the connection with a TCP reset, no answer.
    Reset,
    /// Announce the full length, send part of the body, close.
    Truncated { status: u16, body: String },
}

/// Why a request never reached the handler.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by a fault")
    }
}

impl std::error::Error for Refused {}

/// The service of one connection, which `opengate_server::serve` runs within its limits.
/// Bodies over `max_body` bytes are answered 413 without being read.
pub fn service<F, Fut>(
    stream: &TcpStream,
    max_body: usize,
    handle: Arc<F>,
) -> impl hyper::service::Service<
    hyper::Request<ServerBody>,
    Response = hyper::Response<Answer>,
    Error = Refused,
    Future = impl Future<Output = Result<hyper::Response<Answer>, Refused>> + Send,
> + Send
       + 'static
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    // A second descriptor of the socket, for the reset fault: with SO_LINGER 0 the close that
    // follows is a TCP reset. The socket closes when hyper and this service both let go of it.
    let twin = socket2::SockRef::from(stream)
        .try_clone()
        .ok()
        .map(Arc::new);
    hyper::service::service_fn(move |req: hyper::Request<ServerBody>| {
        let handle = handle.clone();
        let twin = twin.clone();
        async move {
            let request = match read(req, max_body).await {
                Ok(r) => r,
                Err(status) => return Ok(too_large(status)),
            };
            match handle(request).await {
                Reply::Json {
                    status,
                    body,
                    delay,
                } => {
                    if let Some(d) = delay {
                        tokio::time::sleep(d).await;
                    }
                    Ok(answer(status, Answer::whole(Bytes::from(body))))
                }
                Reply::Redirect { location } => {
                    let body = Bytes::from(serde_json::json!({ "redirect": location }).to_string());
                    let mut response = answer(302, Answer::whole(body));
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        response.headers_mut().insert(LOCATION, v);
                    }
                    Ok(response)
                }
                Reply::Reset => {
                    if let Some(twin) = &twin {
                        let _ = twin.set_linger(Some(Duration::ZERO));
                    }
                    Err(Refused)
                }
                Reply::Truncated { status, body } => {
                    Ok(answer(status, Answer::cut(Bytes::from(body))))
                }
            }
        }
    })
}

/// An answer's body: whole, or cut after half its bytes. A cut body announces the full length,
/// sends the half, waits for hyper to flush it, then fails, and hyper drops the connection with
/// the announced length unmet (hyper trusts a body's exact size over a length header, so the cut
/// body reports none).
pub struct Answer {
    len: usize,
    data: Option<Bytes>,
    cut: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Answer {
    fn whole(data: Bytes) -> Self {
        Answer {
            len: data.len(),
            data: Some(data),
            cut: None,
        }
    }

    fn cut(full: Bytes) -> Self {
        Answer {
            len: full.len(),
            data: Some(full.slice(..full.len() / 2)),
            cut: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))),
        }
    }
}

impl Body for Answer {
    type Data = Bytes;
    type Error = Refused;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Refused>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match self.cut.as_mut() {
            None => Poll::Ready(None),
            Some(pause) => pause.as_mut().poll(cx).map(|()| Some(Err(Refused))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.cut.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.cut {
            None => SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64)),
            Some(_) => SizeHint::default(),
        }
    }
}

fn answer(status: u16, body: Answer) -> hyper::Response<Answer> {
    let len = body.len;
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

fn too_large(status: hyper::StatusCode) -> hyper::Response<Answer> {
    let mut response = answer(
        status.as_u16(),
        Answer::whole(Bytes::from_static(
            b"{\"error\": \"request body too large\"}",
        )),
    );
    // The body was not read, so the connection cannot carry another request.
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The request with its whole body, or the status to refuse it with.
async fn read(
    req: hyper::Request<ServerBody>,
    max_body: usize,
) -> Result<Request, hyper::StatusCode> {
    let (head, body) = req.into_parts();
    let announced = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > max_body as u64) {
        return Err(hyper::StatusCode::PAYLOAD_TOO_LARGE);
    }
    let body = match Limited::new(body, max_body).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        // Over the limit while chunked, or the client went away mid-body.
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(hyper::StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(_) => return Err(hyper::StatusCode::BAD_REQUEST),
    };
    let headers = head
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Request {
        method: head.method.as_str().to_owned(),
        path: head.uri.path().to_owned(),
        query: head.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
    })
}

/// Decodes `a=1&b=2` (form or query), `+` as space.
pub fn parse_form(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Set for file parts.
    pub file_name: Option<String>,
    pub body: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578), or `None` when `content_type` names
/// no boundary or the body is not well formed.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let find = |hay: &[u8], from: usize| {
        hay.get(from..)?
            .windows(delimiter.len())
            .position(|w| w == delimiter.as_bytes())
            .map(|i| from + i)
    };
    let mut at = find(body, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        let start = at + rest.strip_prefix(b"\r\n").map(|_| 2)?;
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let httparse::Status::Complete((head_len, headers)) =
            httparse::parse_headers(&body[start..], &mut headers).ok()?
        else {
            return None;
        };
        let next = find(body, start + head_len)?;
        // The part's content ends with the CRLF before the next delimiter.
        let content = body.get(start + head_len..next.checked_sub(2)?)?;
        let disposition = headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-disposition"))
            .and_then(|h| std::str::from_utf8(h.value).ok())?;
        let attribute = |key: &str| {
            disposition.split(';').find_map(|p| {
                let value = p.trim().strip_prefix(key)?.strip_prefix('=')?;
                Some(value.trim_matches('"').to_owned())
            })
        };
        parts.push(Part {
            name: attribute("name")?,
            file_name: attribute("filename"),
            body: content.to_vec(),
        });
        at = next + delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n\xe4\xb8\xbb\xe5\x9b\xbe\r\n--XyZ\r\nContent-Disposition: form-data; name=\"img\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n--X\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "title");
        assert_eq!(parts[0].body, "主图".as_bytes());
        assert_eq!(parts[1].file_name.as_deref(), Some("a.png"));
        assert_eq!(parts[1].body, b"\x89PNG\r\n\x1a\n--X");
        assert_eq!(parse_multipart("multipart/form-data", body), None);
        assert_eq!(
            parse_multipart("multipart/form-data; boundary=XyZ", &body[..40]),
            None
        );
    }
}
