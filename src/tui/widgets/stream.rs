//! Text of a running prompt as styled pieces: each finished stage under its heading, then the
//! stage in progress showing only its committed part (whole words), so lines do not jump.

use ratatui::style::{Color, Modifier, Style};

use crate::pipeline::Stage;
use crate::tui::live_text::LiveText;

/// A human name for a pipeline stage.
pub fn stage_label(stage: Stage) -> String {
    match stage {
        Stage::Initial => "initial response".into(),
        Stage::Critique(n) => format!("critique {n}"),
        Stage::Revision(n) => format!("revision {n}"),
        Stage::Sample(n) => format!("sample {n}"),
        Stage::Reasoning => "feedback reasoning".into(),
        Stage::Comparison => "comparison".into(),
    }
}

/// Style of section headings.
pub fn heading_style() -> Style {
    Style::default()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// The live text as pieces ready for [`super::wrap::wrap_spans`].
pub fn live_pieces(live: &LiveText) -> Vec<(String, Style)> {
    let mut pieces = Vec::new();
    for (stage, text) in &live.stages {
        pieces.push((format!("── {} ──\n", stage_label(*stage)), heading_style()));
        pieces.push((format!("{}\n", text.trim_end()), Style::default()));
    }
    if let Some(stage) = live.current {
        pieces.push((format!("── {} … ──\n", stage_label(stage)), heading_style()));
        pieces.push((live.committed.clone(), Style::default().fg(Color::Cyan)));
    }
    pieces
}
