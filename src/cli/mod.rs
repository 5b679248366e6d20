//! The headless command line: one file per subcommand, all on the same core as the TUI.

pub mod export;
pub mod review;
pub mod sessions;
