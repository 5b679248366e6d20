//! Logging to a file, never to the terminal: mistral.rs and our own `tracing` events go to
//! `<data dir>/logs/cai.YYYY-MM-DD.log`, one file a day, the last [`KEPT_FILES`] kept, with
//! `cai.log` a link to the current one (filter with `CAI_LOG`, e.g. `CAI_LOG=debug`).

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// How many daily log files are kept (older ones are deleted when a new one starts).
pub const KEPT_FILES: usize = 7;

/// The name of the link to the current log file.
pub const CURRENT_LOG: &str = "cai.log";

/// Installs the file logger; returns the path of the link to the current log. Failing to open
/// the log is not fatal.
pub fn init() -> Option<PathBuf> {
    let dir = crate::model::fetch::data_dir().join("logs");
    let appender = appender(&dir)?;
    let filter = EnvFilter::try_from_env("CAI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(appender)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(dir.join(CURRENT_LOG))
}

/// The daily rotating log of `dir`, made if needed; it deletes the oldest files beyond
/// [`KEPT_FILES`] when it starts and at each new day.
pub fn appender(dir: &Path) -> Option<RollingFileAppender> {
    std::fs::create_dir_all(dir).ok()?;
    keep_unrotated_log(dir);
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("cai")
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .latest_symlink(CURRENT_LOG)
        .build(dir)
        .ok()
}

/// Earlier versions appended to `cai.log` itself, which now names the link to the current
/// file: such a file is renamed into the rotation (dated by its last write) rather than
/// replaced by the link.
fn keep_unrotated_log(dir: &Path) {
    let path = dir.join(CURRENT_LOG);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return;
    };
    if !meta.is_file() {
        return;
    }
    let written: chrono::DateTime<chrono::Local> = meta
        .modified()
        .map(Into::into)
        .unwrap_or_else(|_| chrono::Local::now());
    let dated = dir.join(format!("cai.{}.log", written.format("%Y-%m-%d")));
    if !dated.exists() {
        let _ = std::fs::rename(&path, dated);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    fn log_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn old_days_beyond_the_kept_ones_are_deleted_and_today_is_written_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        // Ten earlier days, oldest written first.
        let days: Vec<String> = (1..=10)
            .map(|d| format!("cai.2020-01-{d:02}.log"))
            .collect();
        for day in &days {
            std::fs::write(dir.path().join(day), "old\n").unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let appender = appender(dir.path()).expect("appender");
        appender.make_writer().write_all(b"today\n").unwrap();

        let today = format!("cai.{}.log", chrono::Utc::now().format("%Y-%m-%d"));
        let mut kept = days[days.len() - (KEPT_FILES - 1)..].to_vec();
        kept.push(today.clone());
        kept.sort();
        assert_eq!(log_files(dir.path()), kept);
        let link = std::fs::read_link(dir.path().join(CURRENT_LOG)).unwrap();
        assert!(link.ends_with(&today), "{}", link.display());
        let text = std::fs::read_to_string(dir.path().join(CURRENT_LOG)).unwrap();
        assert_eq!(text, "today\n");
    }

    #[test]
    fn a_log_from_before_rotation_joins_the_rotation() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CURRENT_LOG), "from an earlier version\n").unwrap();
        let appender = appender(dir.path()).expect("appender");
        appender.make_writer().write_all(b"new\n").unwrap();
        let today = format!("cai.{}.log", chrono::Utc::now().format("%Y-%m-%d"));
        let dated = format!("cai.{}.log", chrono::Local::now().format("%Y-%m-%d"));
        let text = std::fs::read_to_string(dir.path().join(&dated)).unwrap();
        assert!(text.starts_with("from an earlier version\n"), "{text}");
        assert!(std::fs::symlink_metadata(dir.path().join(CURRENT_LOG))
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(log_files(dir.path()).contains(&today));
    }
}
