//! The headless command line: one file per subcommand, all on the same core as the TUI.

pub mod ab;
pub mod arena;
pub mod args;
pub mod bench;
pub mod bench_in_flight;
pub mod check;
pub mod eval;
pub mod export;
pub mod import;
pub mod logging;
pub mod model;
pub mod models;
pub mod report;
pub mod review;
pub mod run;
pub mod sessions;
pub mod tui;

/// Loads a constitution for a command: every diagnostic, one per line, as the error.
pub(crate) fn load_constitution(
    path: &std::path::Path,
) -> anyhow::Result<(crate::constitution::Constitution, String)> {
    crate::constitution::load_constitution(path)
        .map_err(|diags| anyhow::Error::new(BadInput(crate::data::diagnostic::lines(&diags))))
}

/// A token cancelled on Ctrl+C, after `what_is_kept` is printed (e.g. "finished prompts are
/// kept; run again to resume").
pub(crate) fn cancel_on_ctrl_c(what_is_kept: &'static str) -> tokio_util::sync::CancellationToken {
    let cancel = tokio_util::sync::CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: {what_is_kept}");
            stop.cancel();
        }
    });
    cancel
}

/// A problem with a file the user gave (a constitution, a prompt set, a model file), as
/// opposed to a failure of the program: `cai` exits with status 2 for it, as `cai check` does.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}
