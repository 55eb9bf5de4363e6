//! `opengate mock`: the mock gateway on a port, with the platforms' channels the config's apps have.

use super::{runtime, Fail};
use std::path::{Path, PathBuf};

pub(crate) fn mock(specs: &Path, config: Option<&Path>, listen: &str) -> Result<(), Fail> {
    let addr: std::net::SocketAddr = listen.parse().map_err(|_| {
        Fail(
            3,
            format!("--listen: `{listen}` is not an address like 127.0.0.1:8080"),
        )
    })?;
    let config_text = config_text(config)?;
    let gw = opengate_mock::MockGateway::new(specs, &config_text).map_err(|e| Fail(3, e))?;
    runtime()?.block_on(async move {
        let handle = gw
            .start(addr)
            .await
            .map_err(|e| Fail(3, format!("cannot listen on {addr}: {e}")))?;
        let mut lines = format!("listening on {}\n", handle.base_url());
        // The platforms' channels (Taobao's TMC), for the apps the config has.
        let channels = handle
            .start_channels()
            .await
            .map_err(|e| Fail(3, format!("cannot start a channel: {e}")))?;
        for (name, url) in channels {
            lines.push_str(&format!("{name} on {url}\n"));
        }
        // One write: a reader that takes the first line and closes the pipe has both.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(lines.as_bytes()).and_then(|()| out.flush());
        }
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// The config file's text: the explicit file, `$OPENGATE_CONFIG`, or `./opengate.toml` (empty if absent).
fn config_text(config: Option<&Path>) -> Result<String, Fail> {
    let (path, explicit) = match config {
        Some(p) => (p.to_owned(), true),
        None => match std::env::var_os("OPENGATE_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from("opengate.toml"), false),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Fail(
            3,
            format!("cannot read config {}: {e}", path.display()),
        )),
    }
}
