//! Re-exports the platform crates the features turn on, and generates the platform folders of
//! `../specs` (or `$OPENGATE_SPECS`) that have no crate of their own, into `OUT_DIR`.

fn main() {
    opengate_codegen::build::facade();
}
