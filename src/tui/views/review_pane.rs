//! The review pane beside the queue: everything needed to judge the selected record without
//! leaving it: its decision, the prompt, the final answer (or the reviewer's edit), each
//! quality flag with its reason, and the comparison's P(A) with the label it gives. Its bottom
//! line confirms the last decision once the session log has it (decisions reach the
//! workspace only after they are on disk), with the key that takes it back.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use crate::pipeline::{Choice, Record};
use crate::quality::{FlagKind, QualityFlag};
use crate::session::{Review, ReviewState};
use crate::tui::widgets::prob_bar::prob_bar;
use crate::tui::widgets::stream::heading_style;
use crate::tui::widgets::wrap::{draw_lines, wrap_spans, WrapCache};
use crate::tui::workspace::Workspace;

/// The colour a flag is shown in: red for flags that make a record unfit as it is, yellow for
/// ones to look at, magenta for refusals.
pub fn flag_colour(kind: FlagKind) -> Color {
    match kind {
        FlagKind::Degenerate | FlagKind::Echo | FlagKind::Empty => Color::Red,
        FlagKind::CutOff | FlagKind::Unchanged | FlagKind::NearTie => Color::Yellow,
        FlagKind::Evasive => Color::Magenta,
    }
}

/// The flag letters of a record for the queue, each kind once (e.g. `D!T`).
pub fn flag_letters(record: &Record) -> String {
    crate::quality::kinds(record)
        .into_iter()
        .map(FlagKind::letter)
        .collect()
}

/// The state word and its colour.
pub fn state_style(state: ReviewState) -> (&'static str, Color) {
    match state {
        ReviewState::Approved => ("approved", Color::Green),
        ReviewState::Rejected => ("rejected", Color::Red),
        ReviewState::Pending => ("pending", Color::Gray),
    }
}

/// The confirmation of the last decision saved, e.g. ` ✓ approved 1a2b3c4d: in the session
/// log · u undoes `.
fn last_decision(ws: &Workspace) -> Option<Line<'static>> {
    let (id, _) = ws.undo.last()?;
    let review = ws.reviews.get(id)?;
    let (word, colour) = state_style(review.state);
    let edited = if review.edited.is_some() {
        ", edited"
    } else {
        ""
    };
    Some(Line::from(Span::styled(
        format!(
            " ✓ {word}{edited} {}: in the session log · u undoes ",
            id.get(..8).unwrap_or(id),
        ),
        Style::default().fg(colour).add_modifier(Modifier::BOLD),
    )))
}

/// Draws the pane for the record `id` (none: an empty pane).
pub fn draw_pane(
    frame: &mut Frame,
    area: Rect,
    ws: &Workspace,
    id: Option<&str>,
    cache: &mut WrapCache,
) {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(" Record · D degenerate C echo U unchanged 0 empty L cut off ! evasive T tie ");
    if let Some(line) = last_decision(ws) {
        block = block.title_bottom(line);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some((id, record)) = id.and_then(|id| ws.records.get(id).map(|r| (id, r))) else {
        return;
    };
    let review = ws.reviews.get(id);
    let key = format!("{id}:{}", ws.version);
    let mut lines = cache
        .get_or_build(&key, inner.width, || {
            wrap_spans(&text_pieces(record, review), inner.width)
        })
        .to_vec();
    lines.extend(comparison_lines(record, review, inner.width));
    draw_lines(frame, &lines, 0, inner);
}

/// Decision, prompt, final answer and flags, as styled pieces to wrap.
fn text_pieces(record: &Record, review: Option<&Review>) -> Vec<(String, Style)> {
    let state = review.map_or(ReviewState::Pending, |r| r.state);
    let (word, colour) = state_style(state);
    let decided = if review.is_some_and(|r| r.state != ReviewState::Pending) {
        " (in the session log)"
    } else {
        ""
    };
    let mut pieces = vec![
        ("Decision: ".to_string(), heading_style()),
        (
            format!("{word}{decided}\n"),
            Style::default().fg(colour).add_modifier(Modifier::BOLD),
        ),
        (format!("Prompt ({})\n", record.prompt.id), heading_style()),
        (
            format!("{}\n\n", record.prompt.text.trim_end()),
            Style::default().add_modifier(Modifier::BOLD),
        ),
    ];
    let final_text = record.final_text().unwrap_or("").trim_end().to_string();
    match review.and_then(|r| r.edited.as_ref()) {
        Some(edited) => {
            pieces.push(("Edited answer (exported)\n".into(), heading_style()));
            pieces.push((
                format!("{}\n\n", edited.trim_end()),
                Style::default().fg(Color::Green),
            ));
            pieces.push(("Original final answer\n".into(), heading_style()));
            pieces.push((
                format!("{final_text}\n\n"),
                Style::default().fg(Color::Gray),
            ));
        }
        None => {
            let title = match record.rounds.len() {
                0 => "Final answer (no revision)\n".to_string(),
                n => format!("Final answer (revision {n})\n"),
            };
            pieces.push((title, heading_style()));
            pieces.push((format!("{final_text}\n\n"), Style::default()));
        }
    }
    let flags = record.flags();
    pieces.push(("Quality flags\n".into(), heading_style()));
    if flags.is_empty() {
        pieces.push(("✓ none\n".into(), Style::default().fg(Color::Green)));
    }
    for flag in flags {
        pieces.push(flag_piece(flag));
    }
    pieces
}

fn flag_piece(flag: &QualityFlag) -> (String, Style) {
    (
        format!("⚑ {}\n", flag.line()),
        Style::default().fg(flag_colour(flag.kind)),
    )
}

/// P(A) as a bar, what A and B are, and the label (flipped by the reviewer, or not).
fn comparison_lines(record: &Record, review: Option<&Review>, width: u16) -> Vec<Line<'static>> {
    let Some(c) = &record.comparison else {
        return vec![Line::from(Span::styled(
            "No comparison.",
            Style::default().fg(Color::DarkGray),
        ))];
    };
    let flipped = review.is_some_and(|r| r.flipped);
    let preferred = match (c.choice, flipped) {
        (Choice::A, false) | (Choice::B, true) => &c.a_source,
        _ => &c.b_source,
    };
    vec![
        Line::from(Span::styled("Comparison", heading_style())),
        Line::from(format!("A: {}   B: {}", c.a_source, c.b_source)),
        prob_bar(c.p_a, width.saturating_sub(12).min(40)),
        Line::from(Span::styled(
            format!(
                "label: prefers the {preferred}{}",
                if flipped {
                    " (flipped by the reviewer)"
                } else {
                    ""
                }
            ),
            Style::default().add_modifier(Modifier::BOLD),
        )),
    ]
}
