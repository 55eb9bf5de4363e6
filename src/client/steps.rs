//! The steps of one call that need no transport: reading an answer into a reply or a typed
//! error, turning a transport failure into an error, and deciding whether to send again.
//! [`Client::call`](super::Client) runs them in order; each is tested here on its own.

use super::reply::{RawReply, Slot};
use crate::desc::ApiDesc;
use crate::error::{excerpt, ApiError, ApiId, DecodeError, Error, ErrorKind, Result};
use crate::protocol::{DataAt, Protocol};
use crate::read::{read_data, Capture};
use crate::wire::{TransportError, WireResponse};
use crate::write::JsonError;
use serde_json::Value;
use std::time::Duration;

pub(super) fn id_of(api: &ApiDesc) -> ApiId {
    ApiId {
        platform: api.platform.to_string(),
        name: api.name.to_string(),
        version: api.version.to_string(),
    }
}

/// How the typed read went in the first pass.
enum Typed {
    /// Read where the protocol guessed the data is (or nothing to read).
    Read,
    /// The data refused a value; the envelope was parsed again whole.
    Refused(JsonError),
}

/// Parses an answer once: the envelope for the protocol, and the typed data (if a slot is given)
/// where the protocol guesses it is. `Err` when the body is not JSON.
fn envelope(
    body: &[u8],
    hint: &DataAt,
    slot: Option<&mut (dyn Slot + Send + 'static)>,
) -> Result<(Value, Typed), JsonError> {
    let Some(slot) = slot else {
        return crate::read::tree(body).map(|j| (j, Typed::Read));
    };
    let mut captured = Value::Null;
    // Protocols read codes at most two levels below the root (Douyin's `data.error_code`).
    let capture = Capture {
        into: &mut captured,
        depth: 2,
    };
    match read_data(body, hint, slot.sink(), Some(capture)) {
        Ok(()) => Ok((captured, Typed::Read)),
        // A value the data refused (or a syntax error): the envelope still decides what happened.
        Err(e) => crate::read::tree(body).map(|j| (j, Typed::Refused(e))),
    }
}

/// Reads one answer: the reply (its typed data in `data`, if given), or the error it is: the
/// platform's error envelope as the protocol classified it, an HTTP status, or a body that is
/// not what the spec says.
pub(super) fn read_answer(
    api: &ApiDesc,
    protocol: &dyn Protocol,
    hint: &DataAt,
    resp: WireResponse,
    mut data: Option<&mut (dyn Slot + Send + 'static)>,
) -> Result<RawReply> {
    let success = (200..300).contains(&resp.status);
    let (body, typed) = match envelope(&resp.body, hint, data.as_deref_mut()) {
        Ok(parsed) => parsed,
        Err(_) if !success => return Err(status_error(api, &resp)),
        Err(e) => {
            return Err(Error::Decode(Box::new(DecodeError {
                api: id_of(api),
                path: String::new(),
                message: format!("the body is not valid JSON: {e}"),
                excerpt: excerpt(&resp.body, 200),
            })))
        }
    };
    match protocol.interpret(api, resp.status, &body) {
        Ok(_) if !success => Err(status_error(api, &resp)),
        Ok(data_at) => {
            // Read where the protocol found the data, if that was not the guess.
            let read = match (data, typed) {
                (None, _) => Ok(()),
                (Some(_), Typed::Read) if data_at == *hint => Ok(()),
                (Some(_), Typed::Refused(e)) if data_at == *hint => Err(e),
                (Some(slot), _) => {
                    slot.clear();
                    read_data(&resp.body, &data_at, slot.sink(), None)
                }
            };
            read.map_err(|e| decode_error(api, &e, &resp.body))?;
            Ok(RawReply::new(resp.status, resp.body, data_at))
        }
        Err(f) => {
            tracing::info!(code = %f.code, sub_code = ?f.sub_code, kind = ?f.kind, "platform error");
            Err(Error::Api(Box::new(ApiError {
                api: id_of(api),
                code: f.code,
                sub_code: f.sub_code,
                // A platform's message may quote what it refused: a phone, a session.
                message: crate::redact::mask(&f.message).into_owned(),
                kind: f.kind,
                request_id: f.request_id,
                http_status: resp.status,
                retry_after: f.retry_after.or(resp.retry_after),
            })))
        }
    }
}

/// The error a transport failure is for the caller.
pub(super) fn transport_error(api: &ApiDesc, e: TransportError, timeout: Duration) -> Error {
    match e {
        TransportError::Timeout => Error::Timeout {
            api: id_of(api),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        },
        e => Error::Transport {
            api: id_of(api),
            connect: matches!(e, TransportError::Connect(_)),
            source: e,
        },
    }
}

/// A token refresh after the platform refused the token did not work: the platform's own
/// answer, saying why no retry happened; or the token store's error when the store failed, so
/// that a caller sees the part that is down (the shop's authorization is not in question).
pub(super) fn refresh_failed(error: Error, refresh: Error) -> Error {
    if matches!(refresh, Error::Store { .. }) {
        return refresh;
    }
    match error {
        Error::Api(mut e) => {
            e.message = format!("{} (token refresh failed: {refresh})", e.message);
            Error::Api(e)
        }
        other => other,
    }
}

/// True when the platform refused the token: a refresh and one more attempt may help.
pub(super) fn token_rejected(error: &Error) -> bool {
    error
        .api_error()
        .is_some_and(|e| e.kind == ErrorKind::TokenRejected)
}

fn status_error(api: &ApiDesc, resp: &WireResponse) -> Error {
    Error::HttpStatus {
        api: id_of(api),
        status: resp.status,
        excerpt: excerpt(&resp.body, 200),
        retry_after: resp.retry_after,
    }
}

pub(super) fn decode_error(api: &ApiDesc, e: &JsonError, body: &[u8]) -> Error {
    Error::Decode(Box::new(DecodeError {
        api: id_of(api),
        path: e.path(),
        message: e.message.clone(),
        excerpt: excerpt(body, 200),
    }))
}

/// Retry policy: bounded exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retries).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Retry calls that may have reached the server even when the API is not idempotent.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// After attempt number `attempt` (from 1) failed with `error`: how long to wait before
    /// sending again, or `None` to return the error.
    pub fn decide(&self, error: &Error, attempt: u32, idempotent: bool) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        // A wait the platform asks for beyond any backoff (a ban, `Retry-After`) is the
        // caller's to make: say so now (`Error::retry_after`) rather than block or spend quota.
        if error
            .retry_after()
            .is_some_and(|wait| wait > self.max_backoff)
        {
            return None;
        }
        let may_resend = idempotent || self.retry_non_idempotent;
        let resend = match error {
            // The server never saw it.
            Error::Transport { connect: true, .. } => true,
            // The same call gets the same answer.
            Error::Transport {
                source: TransportError::TooLarge { .. } | TransportError::Redirect { .. },
                ..
            } => false,
            // It may have been executed.
            Error::Transport { .. } | Error::Timeout { .. } => may_resend,
            // Rate-limited calls were not executed.
            e if e.kind() == Some(ErrorKind::RateLimited) => true,
            e if e.kind() == Some(ErrorKind::PlatformDown) => may_resend,
            _ => false,
        };
        // Never sooner than the platform said.
        resend.then(|| {
            self.backoff(attempt)
                .max(error.retry_after().unwrap_or_default())
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        crate::backoff::backoff(self.initial_backoff, self.max_backoff, attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desc::{AuthKind, HttpMethod, StaticApi};
    use crate::platform::taobao::{Taobao, TaobaoSignMethod};

    static API: ApiDesc = StaticApi {
        platform: "taobao",
        name: "taobao.trade.get",
        version: "2.0",
        method: HttpMethod::Post,
        base_url: "http://127.0.0.1:9",
        path: "/router/rest",
        namespace: "",
        auth: AuthKind::User,
        idempotent: true,
        params: &[],
    }
    .desc();

    fn taobao() -> Taobao {
        Taobao::new("key", "secret", TaobaoSignMethod::Md5)
    }

    fn answer(status: u16, body: &str) -> WireResponse {
        WireResponse::new(status, body.to_owned())
    }

    fn read(status: u16, body: &str, data: Option<&mut Option<Value>>) -> Result<RawReply> {
        let p = taobao();
        let hint = p.data_hint(&API);
        let slot = data.map(|d| d as &mut (dyn Slot + Send + 'static));
        read_answer(&API, &p, &hint, answer(status, body), slot)
    }

    #[test]
    fn a_success_is_read_where_the_protocol_finds_it() {
        let mut data = None;
        let body = r#"{"trade_get_response": {"trade": {"tid": 1}}}"#;
        let reply = read(200, body, Some(&mut data)).unwrap();
        assert_eq!(
            reply.data_at(),
            &DataAt::Member("trade_get_response".into())
        );
        assert_eq!(data, Some(serde_json::json!({"trade": {"tid": 1}})));
    }

    #[test]
    fn an_error_envelope_is_the_platforms_error_classified() {
        let body = r#"{"error_response": {"code": 27, "msg": "Invalid session", "sub_code": "invalid-sessionkey", "request_id": "r1"}}"#;
        let e = read(200, body, None).unwrap_err();
        let api = e.api_error().expect("an API error");
        assert_eq!(
            (api.code.as_str(), api.kind),
            ("27", ErrorKind::TokenRejected)
        );
        assert_eq!(api.request_id.as_deref(), Some("r1"));
        assert!(token_rejected(&e));
    }

    #[test]
    fn bodies_that_are_not_json_are_a_status_or_a_decode_error() {
        let e = read(502, "<html>bad gateway</html>", None).unwrap_err();
        assert!(matches!(e, Error::HttpStatus { status: 502, .. }), "{e:?}");
        assert_eq!(e.kind(), Some(ErrorKind::PlatformDown));
        let e = read(200, "<html>", None).unwrap_err();
        assert!(e.is_decode(), "{e:?}");
        // JSON without an error envelope on a failure status is still that status.
        let e = read(503, r#"{"trade_get_response": {}}"#, None).unwrap_err();
        assert!(matches!(e, Error::HttpStatus { status: 503, .. }), "{e:?}");
    }

    #[test]
    fn a_value_the_type_refuses_is_a_decode_error_with_its_path() {
        #[derive(Debug, Default)]
        struct Trade {
            tid: Option<i64>,
        }
        impl crate::read::Object for Trade {
            fn member(&mut self, key: &str) -> Option<&mut dyn crate::read::Sink> {
                (key == "tid").then_some(&mut self.tid as _)
            }
        }
        #[derive(Debug, Default)]
        struct Data {
            trade: Option<Trade>,
        }
        impl crate::read::Object for Data {
            fn member(&mut self, key: &str) -> Option<&mut dyn crate::read::Sink> {
                (key == "trade").then_some(&mut self.trade as _)
            }
        }
        let p = taobao();
        let hint = p.data_hint(&API);
        let mut data: Option<Data> = None;
        let body = r#"{"trade_get_response": {"trade": {"tid": "twelve"}}}"#;
        let e = read_answer(&API, &p, &hint, answer(200, body), Some(&mut data)).unwrap_err();
        match e {
            // The path within the data, as the spec names it.
            Error::Decode(d) => assert_eq!(d.path, "trade.tid"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_refresh_keeps_the_platforms_answer_and_says_why() {
        let body = r#"{"error_response": {"code": 27, "msg": "Invalid session"}}"#;
        let e = read(200, body, None).unwrap_err();
        let refresh = Error::Config("no refresh token".into());
        let e = refresh_failed(e, refresh);
        let api = e.api_error().unwrap();
        assert_eq!(api.code, "27");
        assert!(api
            .message
            .starts_with("Invalid session (token refresh failed: "));

        let e = read(200, body, None).unwrap_err();
        let down = Error::Store {
            message: "redis 127.0.0.1:6379/0: load: connection refused".into(),
            source: None,
        };
        assert!(matches!(refresh_failed(e, down), Error::Store { .. }));
    }

    fn api_error(kind: ErrorKind, retry_after: Option<Duration>) -> Error {
        Error::Api(Box::new(ApiError {
            api: id_of(&API),
            code: "7".into(),
            sub_code: None,
            message: String::new(),
            kind,
            request_id: None,
            http_status: 200,
            retry_after,
        }))
    }

    #[test]
    fn what_is_sent_again_and_when() {
        let policy = RetryPolicy::default();
        let connect = transport_error(
            &API,
            TransportError::Connect("refused".into()),
            policy.max_backoff,
        );
        let io = transport_error(&API, TransportError::Io("reset".into()), policy.max_backoff);
        let timeout = transport_error(&API, TransportError::Timeout, Duration::from_secs(30));
        assert!(matches!(
            timeout,
            Error::Timeout {
                timeout_ms: 30_000,
                ..
            }
        ));
        let down = api_error(ErrorKind::PlatformDown, None);
        let limited = api_error(ErrorKind::RateLimited, Some(Duration::from_secs(1)));
        let banned = api_error(ErrorKind::RateLimited, Some(Duration::from_secs(60)));
        let refused = api_error(ErrorKind::InvalidParams, None);
        let decide = |e: &Error, idempotent| policy.decide(e, 1, idempotent).is_some();
        // Never seen by the server: sent again even when not idempotent.
        assert!(decide(&connect, false));
        // Perhaps executed: only when idempotent.
        for e in [&io, &timeout, &down] {
            assert!(decide(e, true) && !decide(e, false), "{e:?}");
        }
        // Not executed: always, and never sooner than the platform said.
        assert!(decide(&limited, false));
        assert!(policy.decide(&limited, 1, false).unwrap() >= Duration::from_secs(1));
        // An HTTP 429 without the platform's envelope is a rate limit too.
        let too_many = read(429, "slow down", None).unwrap_err();
        assert!(decide(&too_many, false));
        // A ban longer than any backoff, and a refusal, are returned at once.
        assert!(!decide(&banned, true));
        assert!(!decide(&refused, true));
        // The last attempt returns whatever happened.
        assert!(policy.decide(&connect, policy.max_attempts, true).is_none());
    }

    #[test]
    fn retry_non_idempotent_sends_again_what_may_have_been_executed() {
        let policy = RetryPolicy {
            retry_non_idempotent: true,
            ..RetryPolicy::default()
        };
        let io = transport_error(&API, TransportError::Io("reset".into()), Duration::ZERO);
        assert!(policy.decide(&io, 1, false).is_some());
    }

    #[test]
    fn backoff_grows_and_stays_under_its_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..RetryPolicy::default()
        };
        for attempt in 1..20 {
            let wait = policy.backoff(attempt);
            let cap = Duration::from_millis(100 << (attempt - 1).min(2));
            assert!(wait >= cap / 2 && wait <= cap, "{attempt}: {wait:?}");
        }
    }
}
