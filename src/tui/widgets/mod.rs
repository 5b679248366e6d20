//! Reusable drawing pieces shared by the views: display-width wrapping with a line cache, the
//! word-level diff, the probability bar, the highlighted TOML, the scrolled row lists and the
//! Insights charts.

pub mod charts;
pub mod diff;
pub mod prob_bar;
pub mod row_list;
pub mod stream;
pub mod toml_highlight;
pub mod wrap;
