//! A small HTTP/1.1 server loop on tokio: enough for a loopback mock, and it
//! lets fault injection do what a framework would hide (reset, truncated body).

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
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
    /// Close the connection with a TCP reset, no answer.
    Reset,
    /// Announce the full length, send part of the body, close.
    Truncated { status: u16, body: String },
}

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Serves one connection until the peer closes it.
pub async fn serve<F, Fut>(mut stream: TcpStream, handle: F)
where
    F: Fn(Request) -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    // The head and the body are two writes: without this, Nagle's algorithm holds the body until
    // the client's delayed ACK (about 40 ms per answer on a kept-alive connection).
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let req = match read_request(&mut stream, &mut buf).await {
            Some(r) => r,
            None => return,
        };
        match handle(req).await {
            Reply::Json {
                status,
                body,
                delay,
            } => {
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                let head = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-type: application/json;charset=UTF-8\r\ncontent-length: {}\r\n\r\n",
                    reason(status),
                    body.len()
                );
                if stream.write_all(head.as_bytes()).await.is_err()
                    || stream.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
            Reply::Reset => {
                // Linger 0 makes the close a TCP reset; it does not block on an unsent buffer.
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            Reply::Truncated { status, body } => {
                let head = format!("HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", reason(status), body.len());
                let half = &body.as_bytes()[..body.len() / 2];
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(half).await;
                let _ = stream.flush().await;
                return;
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let method = parsed.method.unwrap_or("GET").to_owned();
                let target = parsed.path.unwrap_or("/").to_owned();
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                buf.drain(..head_len);
                let find = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
                let body = if find("transfer-encoding")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
                {
                    read_chunked(stream, buf).await?
                } else {
                    let len: usize = find("content-length")
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if len > MAX_BODY {
                        return None;
                    }
                    while buf.len() < len {
                        if !fill(stream, buf).await {
                            return None;
                        }
                    }
                    buf.drain(..len).collect()
                };
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p.to_owned(), q.to_owned()),
                    None => (target, String::new()),
                };
                return Some(Request {
                    method,
                    path,
                    query,
                    headers,
                    body,
                });
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > MAX_HEAD || !fill(stream, buf).await {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                break i;
            }
            if buf.len() > MAX_HEAD || !fill(stream, buf).await {
                return None;
            }
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).ok()?;
        buf.drain(..line_end + 2);
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    buf.drain(..i + 2);
                    if i == 0 {
                        return Some(body);
                    }
                } else if !fill(stream, buf).await {
                    return None;
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return None;
        }
        while buf.len() < size + 2 {
            if !fill(stream, buf).await {
                return None;
            }
        }
        body.extend(buf.drain(..size));
        buf.drain(..2);
    }
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
