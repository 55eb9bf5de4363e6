//! A user plugs in Pinduoduo's signer from outside the crate, without forking.

use opengate::protocol::{Call, DataAt, ErrorKind, Failure, Param, Protocol};
use opengate::wire::{Body, BoxFuture, Transport, TransportError, WireRequest, WireResponse};
use opengate::{ApiDesc, AuthKind, Client, HttpMethod, PlatformOptions};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn md5_upper(s: &str) -> String {
    use md5::Digest;
    hex::encode_upper(md5::Md5::digest(s.as_bytes()))
}

/// Pinduoduo POP: `sign = UPPER(MD5(secret + sorted key+value + secret))`, form POST.
#[derive(Debug)]
struct Pinduoduo {
    client_id: String,
    secret: String,
}

impl Pinduoduo {
    fn sign(&self, params: &[(String, String)]) -> String {
        let mut p: Vec<&(String, String)> = params.iter().collect();
        p.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let s: String = p.iter().map(|(k, v)| format!("{k}{v}")).collect();
        md5_upper(&format!("{}{s}{}", self.secret, self.secret))
    }
}

impl Protocol for Pinduoduo {
    fn build(&self, call: &Call<'_>) -> opengate::Result<WireRequest> {
        let mut params = vec![
            ("type".to_owned(), call.api.name.to_string()),
            ("client_id".to_owned(), self.client_id.clone()),
            ("timestamp".to_owned(), "1480411125".to_owned()),
            ("data_type".to_owned(), "JSON".to_owned()),
        ];
        if let Some(t) = call.token {
            params.push(("access_token".into(), t.into()));
        }
        params.extend(call.params.iter().filter_map(|p| {
            opengate::protocol::param_text(&p.value).map(|v| (p.name.clone(), v.into_owned()))
        }));
        let sign = self.sign(&params);
        params.push(("sign".into(), sign));
        let body = params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        Ok(WireRequest {
            method: HttpMethod::Post,
            url: format!("{}/api/router", call.base_url)
                .parse()
                .map_err(|e| opengate::Error::Config(format!("bad base URL: {e}")))?,
            headers: vec![],
            body: Body::Bytes {
                content_type: "application/x-www-form-urlencoded".into(),
                bytes: body.into(),
            },
        })
    }

    fn interpret(
        &self,
        _api: &ApiDesc,
        _status: u16,
        body: &serde_json::Value,
    ) -> Result<DataAt, Failure> {
        if let Some(e) = body.get("error_response") {
            return Err(Failure {
                code: e["error_code"].to_string(),
                sub_code: None,
                message: e["error_msg"].as_str().unwrap_or_default().into(),
                request_id: None,
                kind: ErrorKind::Other,
                retry_after: None,
            });
        }
        Ok(DataAt::Member("order_sn_list_get_response".into()))
    }
}

/// A fake gateway that checks the PDD signature on its own and records the form.
#[derive(Debug, Default)]
struct FakePdd {
    seen: Mutex<Vec<String>>,
}

impl Transport for FakePdd {
    fn send(
        &self,
        request: WireRequest,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<WireResponse, TransportError>> {
        Box::pin(async move {
            let Body::Bytes { bytes, .. } = request.body else {
                return Err(TransportError::Io("no body".into()));
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let mut pairs: Vec<(String, String)> = text
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            let sign = pairs
                .iter()
                .position(|(k, _)| k == "sign")
                .map(|i| pairs.remove(i).1)
                .unwrap_or_default();
            pairs.sort();
            let expected = md5_upper(&format!(
                "testSecret{}testSecret",
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}{v}"))
                    .collect::<String>()
            ));
            self.seen.lock().unwrap().push(text);
            let body = if sign == expected {
                r#"{"order_sn_list_get_response":{"total_count":1}}"#
            } else {
                r#"{"error_response":{"error_code":10019,"error_msg":"sign error"}}"#
            };
            Ok(WireResponse::new(200, body))
        })
    }
}

#[test]
fn official_vector_34() {
    let pdd = Pinduoduo {
        client_id: "1".into(),
        secret: "testSecret".into(),
    };
    let p = [
        ("access_token", "asd78172s8ds9a921j9qqwda12312w1w21211"),
        ("client_id", "1"),
        ("data_type", "XML"),
        ("order_status", "1"),
        ("page", "1"),
        ("page_size", "10"),
        ("timestamp", "1480411125"),
        ("type", "pdd.order.number.list.get"),
    ];
    let params: Vec<(String, String)> = p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    assert_eq!(pdd.sign(&params), "E4DE3ED21002510DED352819E7AE6775");
}

#[tokio::test]
async fn a_user_protocol_runs_through_the_one_call_path() {
    let fake = Arc::new(FakePdd::default());
    let client = Client::builder()
        .transport(fake.clone())
        .platform(
            "pinduoduo",
            Arc::new(Pinduoduo {
                client_id: "1".into(),
                secret: "testSecret".into(),
            }),
            PlatformOptions::default(),
        )
        .build()
        .unwrap();
    let api = ApiDesc::new(
        "pinduoduo",
        "pdd.order.sn.list.get",
        "V1",
        HttpMethod::Post,
        "https://gw-api.pinduoduo.com",
        "",
        "",
        AuthKind::App,
        true,
        vec![],
    );
    let params = vec![Param {
        name: "page".into(),
        value: Value::from(1),
        location: opengate::ParamLocation::Default,
    }];
    let raw = client.execute(&api, &params, &[]).await.unwrap();
    assert_eq!(raw.data()["total_count"], 1);
    assert!(fake.seen.lock().unwrap()[0].contains("type=pdd.order.sn.list.get"));
}
