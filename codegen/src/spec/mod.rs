//! The spec model: what the YAML files say, with positions, before validation.
//!
//! `load_dir` reads every `*.yaml`/`*.yml` under a specs folder. The first
//! folder level names the platform; `platform.yaml` in it describes the
//! platform, every other file holds one API (top-level `name:`) or several
//! (`apis: [...]`).

mod load;
mod model;
mod parse;

pub use load::{load_dir, load_dir_filtered, load_dir_top, load_platform, MAX_SPEC_FILE};
pub use model::*;
pub use parse::load_source;
