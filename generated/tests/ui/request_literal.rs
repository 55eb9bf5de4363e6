// Requests are `#[non_exhaustive]`: a struct literal cannot skip `Request::new`.
use opengate_apis::taobao::item_seller_get_v2_0::Request;

fn main() {
    let _ = Request { fields: "num_iid".into(), num_iid: 1 };
}
