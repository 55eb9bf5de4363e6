// A request without its required param does not compile.
use opengate_apis::youzan::logistics_expressbyorderno_get_v3_0_0::Request;

fn main() {
    let _ = Request::new();
}
