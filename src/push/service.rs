//! The receiver as a `tower::Service` over `http` requests (feature `tower`): mount it in axum
//! with `Router::route_service("/push", receiver.service())`, or serve it with hyper through
//! `hyper_util::service::TowerToHyperService`.

use super::receiver::{BoxError, Receiver};
use super::rules::{Answer, Delivery, Refusal};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// [`Receiver`] as a `tower::Service`: reads the body up to the receiver's limit (413 beyond
/// it, before reading more), and never fails: every outcome is an answer.
#[derive(Debug, Clone)]
pub struct ReceiverService {
    receiver: Receiver,
}

impl Receiver {
    /// This receiver as a `tower::Service`.
    pub fn service(&self) -> ReceiverService {
        ReceiverService {
            receiver: self.clone(),
        }
    }
}

fn response(a: Answer) -> http::Response<Full<Bytes>> {
    let mut r = http::Response::new(Full::new(a.body));
    *r.status_mut() =
        http::StatusCode::from_u16(a.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(a.content_type),
    );
    r
}

impl<B> tower_service::Service<http::Request<B>> for ReceiverService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let receiver = self.receiver.clone();
        Box::pin(async move {
            let (head, body) = request.into_parts();
            if let Err(refusal) = receiver.check_head(&head.headers) {
                return Ok(response(receiver.refused(&refusal)));
            }
            let limit = receiver.max_body();
            let body = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    let refusal = if e
                        .downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        Refusal::TooLarge { limit }
                    } else {
                        Refusal::Malformed("the body could not be read".into())
                    };
                    return Ok(response(receiver.refused(&refusal)));
                }
            };
            let answer = receiver
                .receive_checked(Delivery {
                    headers: &head.headers,
                    query: head.uri.query(),
                    body: &body,
                })
                .await;
            Ok(response(answer))
        })
    }
}
