//! Reusable drawing pieces shared by the views: display-width wrapping with a line cache, the
//! word-level diff, the probability bar and the highlighted TOML.

pub mod diff;
pub mod prob_bar;
pub mod stream;
pub mod toml_highlight;
pub mod wrap;
