//! A platform of a protocol that neither the runtime nor the mock builds in, added from outside
//! both crates: its signer plugs into the client (`ClientBuilder::platform`), its gateway into
//! the mock (`MockGateway::with_gateway`), its API is a spec in a folder of its own, and calls go
//! through both over loopback, each side with its own signing code.

use hmac::{Hmac, Mac};
use opengate::protocol::{Call, DataAt, ErrorKind, Failure, Param, Protocol};
use opengate::wire::{Body, WireRequest};
use opengate::{ApiDesc, AuthKind, Client, Error, HttpMethod, ParamLocation, PlatformOptions};
use opengate_mock::gateway::{missing_param, Envelope, Gateway, Message};
use opengate_mock::{MockGateway, Outcome, Request};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const PROTOCOL: &str = "acme-v1";

/// `sign = hex(HMAC-SHA256(secret, "k=v&k=v" of the sorted params))`, an invented scheme: what
/// matters is that the client and the mock compute it apart.
fn sign(secret: &str, params: &BTreeMap<String, String>) -> (String, String) {
    let text = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    (hex::encode(mac.finalize().into_bytes()), text)
}

/// The client's side: `POST {base}/acme/{api name}`, a signed form; the data in `result`.
#[derive(Debug)]
struct Acme {
    app_key: String,
    secret: String,
}

impl Protocol for Acme {
    fn build(&self, call: &Call<'_>) -> opengate::Result<WireRequest> {
        let mut params: BTreeMap<String, String> = call
            .params
            .iter()
            .filter_map(|p| {
                opengate::protocol::param_text(&p.value).map(|v| (p.name.clone(), v.into_owned()))
            })
            .collect();
        params.insert("app_key".into(), self.app_key.clone());
        let (signature, _) = sign(&self.secret, &params);
        params.insert("sign".into(), signature);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        Ok(WireRequest {
            method: HttpMethod::Post,
            url: format!("{}/acme/{}", call.base_url, call.api.name)
                .parse()
                .map_err(|e| Error::Config(format!("bad base URL: {e}")))?,
            headers: vec![],
            body: Body::Bytes {
                content_type: "application/x-www-form-urlencoded".into(),
                bytes: body.into(),
            },
        })
    }

    fn interpret(&self, _api: &ApiDesc, _status: u16, body: &Value) -> Result<DataAt, Failure> {
        if body["ok"] == true {
            return Ok(DataAt::Member("result".into()));
        }
        Err(Failure {
            code: body["error"]["code"].as_str().unwrap_or_default().into(),
            sub_code: None,
            message: body["error"]["message"].as_str().unwrap_or_default().into(),
            request_id: None,
            kind: ErrorKind::Other,
            retry_after: None,
        })
    }
}

/// The mock's side, written apart from the client's: route, verify, answer from the spec.
struct AcmeGateway;

fn refused(api: &str, code: &str, message: &str) -> Outcome {
    let body = json!({"ok": false, "error": {"code": code, "message": message}});
    Outcome::err(Some(api), 200, code, body)
}

impl Gateway for AcmeGateway {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &Request) -> Option<(String, Outcome)> {
        let name = req.path.strip_prefix("/acme/")?.to_owned();
        let mut form: BTreeMap<String, String> =
            form_urlencoded::parse(&req.body).into_owned().collect();
        let received = form.remove("sign").unwrap_or_default();
        let app_key = form.get("app_key").cloned();
        let platform = mock.platform_by(PROTOCOL, "app_key", app_key.as_deref());
        let secret = mock.get(&platform, "app_secret").unwrap_or_default();
        let (expected, text) = sign(secret, &form);
        if expected != received {
            let outcome = refused(&name, "bad-sign", "signature mismatch")
                .signature_refused(text, Some(&received));
            return Some((platform, outcome));
        }
        let Some((_, api)) = mock.apis_named(PROTOCOL, &name).next() else {
            return Some((platform, refused(&name, "no-api", "no such API")));
        };
        if let Some(param) = missing_param(api, |f| form.contains_key(&f.wire)) {
            let outcome = refused(&name, "missing-param", &format!("{param} is required"));
            return Some((platform, outcome));
        }
        let data = mock.answer(api, PROTOCOL, &|k| form.get(k).cloned());
        Some((
            platform,
            Outcome::ok(&name, json!({"ok": true, "result": data})),
        ))
    }

    fn rate_limited(&self) -> Value {
        json!({"ok": false, "error": {"code": "throttled", "message": "slow down"}})
    }

    fn envelope(&self, _: &MockGateway, _: &str, _: &Message<'_>) -> Result<Envelope, String> {
        Err("acme pushes nothing".into())
    }
}

fn specs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("acme");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("platform.yaml"),
        "platform: acme\nprotocol: acme-v1\ntitle: Acme\nhosts:\n  default: https://api.acme.invalid\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("order.yaml"),
        "name: acme.order.get\nversion: \"1\"\nsummary: one order\nauth: app\nmethod: POST\nparams:\n  - {name: order_id, type: string, required: true}\nresponse: {\"order_id\": \"string\", \"amount\": \"int\"}\n",
    )
    .unwrap();
    dir
}

fn order_get() -> ApiDesc {
    ApiDesc::new(
        "acme",
        "acme.order.get",
        "1",
        HttpMethod::Post,
        "https://api.acme.invalid",
        "",
        "",
        AuthKind::App,
        true,
        vec![],
    )
}

fn client(mock: &opengate_mock::MockHandle, secret: &str) -> Client {
    let acme = Acme {
        app_key: "acme-key".into(),
        secret: secret.into(),
    };
    let options = PlatformOptions {
        base_url: Some(mock.base_url()),
        ..PlatformOptions::default()
    };
    Client::builder()
        .platform("acme", Arc::new(acme), options)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_platform_of_a_new_protocol_is_served_by_a_gateway_added_out_of_tree() {
    let specs = specs();
    let config = "[acme]\napp_key = \"acme-key\"\napp_secret = \"acme-secret\"\n";
    let mock = MockGateway::new(specs.path(), config)
        .unwrap()
        .with_gateway(Arc::new(AcmeGateway))
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let order_id = Param {
        name: "order_id".into(),
        value: json!("A-1"),
        location: ParamLocation::Default,
    };

    // Signed right: the mock verifies it with its own code and answers from the spec.
    let raw = client(&mock, "acme-secret")
        .execute(&order_get(), std::slice::from_ref(&order_id), &[])
        .await
        .unwrap();
    assert!(raw.data()["order_id"].is_string(), "{:?}", raw.data());
    assert!(raw.data()["amount"].is_i64(), "{:?}", raw.data());
    let seen = mock.requests();
    let last = seen.last().unwrap();
    assert_eq!(
        (last.platform.as_str(), last.api.as_deref(), last.verified),
        ("acme", Some("acme.order.get"), true)
    );

    // Signed with another secret: refused by the gateway, as the client's typed error.
    let err = client(&mock, "not-the-secret")
        .execute(&order_get(), &[order_id], &[])
        .await
        .unwrap_err();
    match &err {
        Error::Api(e) => assert_eq!(e.code, "bad-sign", "{err}"),
        other => panic!("expected the platform's refusal, got {other:?}"),
    }
    let last = mock.requests().pop().unwrap();
    assert_eq!(
        (last.verified, last.error.as_deref()),
        (false, Some("bad-sign"))
    );

    // A required param missing: refused by the spec's rule, which the gateway applies.
    let err = client(&mock, "acme-secret")
        .execute(&order_get(), &[], &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == "missing-param"),
        "{err}"
    );
}
