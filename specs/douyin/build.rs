//! Generates the APIs from this folder's specs (and the enabled groups') into `OUT_DIR`.

fn main() {
    opengate_codegen::build::platform_crate("douyin");
}
