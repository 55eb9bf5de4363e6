// `opengate::Error`'s variants with fields are `#[non_exhaustive]`: only the runtime makes them,
// so a field can be added without breaking anyone.
fn main() {
    let api = opengate::ApiId {
        platform: "taobao".into(),
        name: "taobao.item.get".into(),
        version: "2.0".into(),
    };
    let _ = opengate::Error::Timeout { api, timeout_ms: 1 };
}
