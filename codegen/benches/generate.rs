//! Generator throughput: load + validate + emit a synthetic corpus of 5,000 APIs.
//!
//! `cargo bench -p opengate-codegen --bench generate` (the corpus is made by `bench/synth_specs.py`;
//! set `OPENGATE_BENCH_APIS` to change its size, or `OPENGATE_BENCH_SPECS` to a specs folder, e.g.
//! the shipped `specs`, to use it instead). Prints a markdown table for docs/PERFORMANCE.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn corpus(n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opengate-bench-specs-{n}"));
    if !dir.join("youzan/platform.yaml").exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/synth_specs.py");
        let ok = std::process::Command::new("python3")
            .arg(script)
            .arg(n.to_string())
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "bench/synth_specs.py failed");
    }
    dir
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; only run when asked to bench.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("OPENGATE_BENCH_APIS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let given = std::env::var_os("OPENGATE_BENCH_SPECS").map(PathBuf::from);
    let specs = given.clone().unwrap_or_else(|| corpus(n));
    let mut n = n;
    let mut load = Vec::new();
    let mut total = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let (_, ir) = opengate_codegen::load(&specs, "specs").expect("the specs are valid");
        load.push(t.elapsed());
        let apis = ir.platforms.iter().map(|p| p.apis.len()).sum::<usize>();
        match given {
            Some(_) => n = apis,
            None => assert_eq!(apis, n),
        }
        let t = Instant::now();
        let (files, _) = opengate_codegen::Config::new()
            .generate(&specs)
            .expect("generates");
        total.push(t.elapsed());
        bytes = files.iter().map(|f| f.text.len()).sum::<usize>();
    }
    let (l, g) = (median(load), median(total));
    println!("| APIs | load + validate | load + validate + emit | generated code | peak RSS |");
    println!("|---|---|---|---|---|");
    println!(
        "| {n} | {:.0} ms | {:.0} ms | {:.1} MiB | {:.0} MiB |",
        l.as_secs_f64() * 1e3,
        g.as_secs_f64() * 1e3,
        bytes as f64 / 1048576.0,
        peak_rss_mib()
    );
}
