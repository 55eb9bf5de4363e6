// Typed params: a string where the spec says `long` does not compile.
use opengate_apis::taobao::trade_fullinfo_get_v2_0::Request;

fn main() {
    let _ = Request::new("tid", "123");
}
