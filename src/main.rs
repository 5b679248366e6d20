//! The `cai` binary: parses the command line and hands over to the CLI or the TUI.

fn main() {}
