//! Documented param limits are checked before a request leaves the client, with an error
//! naming the API and the param, and no value in it.

use opengate::{to_params, ApiDesc, AuthKind, Error, HttpMethod, Limits, ParamLocation, ParamSpec};
use serde_json::{json, Value};

struct Params(Value);

impl opengate::ToJson for Params {
    fn to_json(&self) -> Value {
        self.0.clone()
    }
}

fn api() -> ApiDesc {
    let spec = |name: &str, limits| ParamSpec {
        name: name.to_owned().into(),
        location: ParamLocation::Default,
        limits,
    };
    ApiDesc::new(
        "taobao",
        "taobao.items.seller.list.get",
        "2.0",
        HttpMethod::Post,
        "https://gw.api.taobao.com",
        "",
        "",
        AuthKind::User,
        true,
        vec![
            spec("receiver_name", Limits::new(Some(4), None, None, None)),
            spec("num_iids", Limits::new(Some(3), Some(2), None, None)),
            spec("page_size", Limits::new(None, None, Some(1), Some(100))),
        ],
    )
}

fn refusal(params: Value) -> String {
    match to_params(&api(), &Params(params)) {
        Err(Error::Build { message, .. }) => message,
        other => panic!("expected a build error, got {other:?}"),
    }
}

#[test]
fn values_within_the_limits_pass() {
    let ok = json!({"receiver_name": "张三丰你", "num_iids": [1, 22], "page_size": "100"});
    let params = to_params(&api(), &Params(ok)).unwrap();
    assert_eq!(params.len(), 3);
}

#[test]
fn each_limit_is_checked_and_named() {
    let e = refusal(json!({"receiver_name": "张三丰你好"}));
    assert_eq!(
        e,
        "param `receiver_name` is 5 characters long, at most 4 are allowed"
    );
    // The value itself (buyer data, maybe) is not in the message.
    assert!(!e.contains("张三"));
    let e = refusal(json!({"num_iids": [1, 2, 3]}));
    assert_eq!(e, "param `num_iids` has 3 elements, at most 2 are allowed");
    let e = refusal(json!({"num_iids": [1, 2222]}));
    assert_eq!(
        e,
        "param `num_iids` is 4 characters long, at most 3 are allowed"
    );
    assert_eq!(
        refusal(json!({"page_size": 0})),
        "param `page_size` is below its minimum 1"
    );
    assert_eq!(
        refusal(json!({"page_size": 101})),
        "param `page_size` is above its maximum 100"
    );
}

#[test]
fn the_error_names_the_api() {
    let e = to_params(&api(), &Params(json!({"page_size": 500}))).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("taobao.items.seller.list.get"), "{text}");
    assert!(text.contains("page_size"), "{text}");
}
