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
