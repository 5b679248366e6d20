//! Logging to a file, never to the terminal: mistral.rs and our own `tracing` events go to
//! `<data dir>/logs/cai.log` (filter with `CAI_LOG`, e.g. `CAI_LOG=debug`).

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Installs the file logger; returns the log path. Failing to open the log is not fatal.
pub fn init() -> Option<PathBuf> {
    let dir = crate::model::fetch::data_dir().join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("cai.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter = EnvFilter::try_from_env("CAI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(path)
}
