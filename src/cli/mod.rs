//! The headless command line: one file per subcommand, all on the same core as the TUI.

pub mod args;
pub mod bench;
pub mod check;
pub mod export;
pub mod import;
pub mod logging;
pub mod model;
pub mod review;
pub mod run;
pub mod sessions;
pub mod tui;

/// Loads a constitution for a command: every diagnostic, one per line, as the error.
pub(crate) fn load_constitution(
    path: &std::path::Path,
) -> anyhow::Result<(crate::constitution::Constitution, String)> {
    crate::constitution::parse::load_constitution(path).map_err(|diags| {
        let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        anyhow::anyhow!(lines.join("\n"))
    })
}
