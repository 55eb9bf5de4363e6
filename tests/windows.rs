//! A window run killed halfway resumes from its last completed window: a worker process reads
//! ten one-day windows of `taobao.trades.sold.increment.get` (every page, backward) from the
//! mock, writing each window's trades to a file of that window and then the checkpoint; it is
//! SIGKILLed after three windows are done, and a second worker finishes the run. No completed
//! window is requested again, and every window's trades are there exactly once.
//!
//! The worker is this test binary run again with `OPENGATE_WINDOWS_WORKER` set (the `worker`
//! test does nothing otherwise).

use opengate::paging::{Checkpoint, FileCheckpoint, StreamExt, Windows};
use opengate_apis::{taobao::trades_sold_increment_get_v2_0 as increment, ClientExt};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

fn mock_config() -> String {
    format!("{}\n[mock]\npage_items = 150\n", common::CONFIG)
}

fn t0() -> opengate::DateTime {
    opengate::DateTime::parse_beijing("2024-03-01 00:00:00").unwrap()
}

fn windows() -> Windows {
    let t1 = opengate::DateTime::from_epoch_millis(t0().epoch_millis() + 10 * 86_400_000);
    Windows::new(t0(), t1, opengate::platform::max_window("taobao").unwrap())
}

/// The worker: reads the windows the checkpoint does not show done.
#[tokio::test]
async fn worker() {
    let Some(dir) = std::env::var_os("OPENGATE_WINDOWS_WORKER").map(PathBuf::from) else {
        return;
    };
    let base_url = std::env::var("OPENGATE_WINDOWS_MOCK").unwrap();
    let mut c = opengate::Config::from_toml(common::CONFIG, "worker").unwrap();
    c.set("taobao", "base_url", &base_url);
    let client = c.client_builder().unwrap().build().unwrap();
    let checkpoint = FileCheckpoint::new(dir.join("checkpoint"));
    windows()
        .run(&checkpoint, |w| {
            let (client, dir) = (client.clone(), dir.clone());
            async move {
                let mut tids = Vec::new();
                let mut items = std::pin::pin!(client
                    .taobao()
                    .trades_sold_increment_get_v2_0_pages(
                        increment::Request::new("tid", w.start, w.end).page_size(50)
                    )
                    .items());
                while let Some(trade) = items.next().await {
                    tids.extend(trade?.tid);
                }
                // The window's output under its own name, replaced whole: a window read again
                // after a kill writes the same file, never a second copy.
                let text: String = tids.iter().map(|t| format!("{t}\n")).collect();
                let file = dir.join(format!("window-{}", w.start.epoch_millis()));
                std::fs::write(file.with_extension("tmp"), text).unwrap();
                std::fs::rename(file.with_extension("tmp"), &file).unwrap();
                // Slow enough for the test to kill it in the middle of the run.
                tokio::time::sleep(Duration::from_millis(150)).await;
                Ok(())
            }
        })
        .await
        .unwrap();
}

fn spawn_worker(dir: &Path, mock: &str) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "worker", "--nocapture", "--test-threads", "1"])
        .env("OPENGATE_WINDOWS_WORKER", dir)
        .env("OPENGATE_WINDOWS_MOCK", mock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The `start_modified` of every recorded call, in Beijing time.
fn windows_requested(mock: &opengate_mock::MockHandle) -> Vec<String> {
    mock.requests()
        .iter()
        .filter_map(|r| {
            form_urlencoded::parse(r.body.as_bytes())
                .find(|(k, _)| k == "start_modified")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_halfway_resumes_from_its_last_completed_window() {
    if std::env::var_os("OPENGATE_WINDOWS_WORKER").is_some() {
        return;
    }
    let mock = common::mock_with(&mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = FileCheckpoint::new(dir.path().join("checkpoint"));

    // The first worker, killed once three windows are done.
    let mut first = spawn_worker(dir.path(), &mock.base_url());
    let third = opengate::DateTime::from_epoch_millis(t0().epoch_millis() + 3 * 86_400_000);
    let started = std::time::Instant::now();
    while checkpoint.load().unwrap().is_none_or(|d| d < third) {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the worker ended early"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "three windows within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let done_at_kill = checkpoint.load().unwrap().unwrap();
    assert!(
        done_at_kill < windows().iter().last().unwrap().end,
        "killed halfway"
    );
    let before_kill = windows_requested(&mock);
    mock.clear_requests();

    // The second worker finishes the run.
    let status = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        let url = mock.base_url();
        move || spawn_worker(&dir, &url).wait().unwrap()
    })
    .await
    .unwrap();
    assert!(status.success());
    let after_kill = windows_requested(&mock);

    // Nothing the first worker completed was requested again.
    let done = done_at_kill.to_beijing_string();
    assert!(
        after_kill.iter().all(|s| *s >= done),
        "the resumed run requested a completed window: {:?}",
        after_kill
            .iter()
            .filter(|s| **s < done)
            .collect::<BTreeSet<_>>()
    );
    assert!(before_kill.iter().any(|s| *s < done) && !after_kill.is_empty());
    // Every window has its trades, each once.
    let mut per_window: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for e in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let name = e.file_name().into_string().unwrap();
        if name.starts_with("window-") && !name.ends_with(".tmp") {
            let tids = std::fs::read_to_string(e.path())
                .unwrap()
                .lines()
                .map(|l| l.parse().unwrap())
                .collect();
            per_window.insert(name, tids);
        }
    }
    assert_eq!(per_window.len(), 10, "{:?}", per_window.keys());
    for (window, tids) in &per_window {
        let distinct: BTreeSet<&i64> = tids.iter().collect();
        assert_eq!((tids.len(), distinct.len()), (150, 150), "{window}");
    }
    assert_eq!(
        checkpoint.load().unwrap(),
        Some(windows().iter().last().unwrap().end)
    );
}
