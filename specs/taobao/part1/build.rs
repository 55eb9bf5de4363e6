//! Generates this part's APIs into `OUT_DIR`, for `opengate-taobao` to re-export.

fn main() {
    opengate_codegen::build::part_crate("taobao", "opengate-taobao");
}
