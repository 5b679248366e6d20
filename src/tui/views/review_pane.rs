//! The review pane beside the queue: everything needed to judge the selected record without
//! leaving it. The judgement comes first (its decision, each quality flag with its reason, the
//! comparison's P(A) with the label it gives), then the prompt and the final answer (or the
//! reviewer's edit), so that a long answer never pushes the flags and P(A) out of sight: what
//! does not fit ends in a line saying how much more there is. The bottom line follows the last
//! decision: on its way to the session log, in it (decisions reach the workspace only once
//! they are on disk) with the key that takes it back, undone, or not saved and why.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use crate::data::{FlagKind, QualityFlag, Record};
use crate::session::{reviewed_label, Review, ReviewState};
use crate::tui::decision::NoteTone;
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

/// The pane's titles, longest first: the first that fits is drawn, so the queue's flag letters
/// stay explained down to a pane 70 columns wide.
const TITLES: [&str; 3] = [
    " Record · D degenerate C echo U unchanged 0 empty L cut off ! evasive T tie ",
    " D degenerate C echo U unchanged 0 empty L cut off ! evasive T tie ",
    " Record ",
];

/// The line following the last decision, in the colour of what it says.
fn decision_line(ws: &Workspace) -> Option<Line<'static>> {
    let (text, tone) = ws.decision.as_ref()?.line();
    let style = match tone {
        NoteTone::Done(state) => Style::default()
            .fg(state_style(state).1)
            .add_modifier(Modifier::BOLD),
        NoteTone::Waiting => Style::default().fg(Color::Yellow),
        NoteTone::Failed => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
    };
    Some(Line::from(Span::styled(format!(" {text} "), style)))
}

/// Draws the pane for the record `id` (none: an empty pane).
pub fn draw_pane(
    frame: &mut Frame,
    area: Rect,
    ws: &Workspace,
    id: Option<&str>,
    cache: &mut WrapCache,
) {
    let title_room = usize::from(area.width.saturating_sub(2));
    let title = TITLES
        .into_iter()
        .find(|t| t.chars().count() <= title_room)
        .unwrap_or("");
    let mut block = Block::default().borders(Borders::ALL).title(title);
    if let Some(line) = decision_line(ws) {
        block = block.title_bottom(line);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some((id, record)) = id.and_then(|id| ws.record(id).map(|r| (id, r))) else {
        let none = Line::from(Span::styled(
            "No record selected.",
            Style::default().fg(Color::DarkGray),
        ));
        draw_lines(frame, &[none], 0, inner);
        return;
    };
    let review = ws.review(id);
    let mut lines = wrap_spans(&judgement_pieces(record, review), inner.width);
    lines.extend(comparison_lines(record, review, inner.width));
    lines.push(Line::default());
    let key = format!("{id}:{}", ws.version);
    let text = cache.get_or_build(&key, inner.width, || {
        wrap_spans(&text_pieces(record, review), inner.width)
    });
    let room = usize::from(inner.height).saturating_sub(lines.len());
    if text.len() > room && room > 0 {
        lines.extend(text[..room - 1].iter().cloned());
        lines.push(Line::from(Span::styled(
            format!(
                "… {} more lines · Enter opens the record",
                text.len() - (room - 1)
            ),
            Style::default().fg(Color::DarkGray),
        )));
    } else {
        lines.extend(text.iter().cloned());
    }
    draw_lines(frame, &lines, 0, inner);
}

/// The decision and the quality flags, as styled pieces to wrap.
fn judgement_pieces(record: &Record, review: Option<&Review>) -> Vec<(String, Style)> {
    let state = review.map_or(ReviewState::Pending, |r| r.state);
    let (word, colour) = state_style(state);
    let decided = if review.is_some_and(|r| r.state != ReviewState::Pending) {
        " (in the session log)"
    } else {
        ""
    };
    let edited = if review.is_some_and(|r| r.edited.is_some()) {
        " · edited"
    } else {
        ""
    };
    let mut pieces = vec![
        ("Decision: ".to_string(), heading_style()),
        (
            format!("{word}{decided}{edited}\n"),
            Style::default().fg(colour).add_modifier(Modifier::BOLD),
        ),
        ("Quality flags: ".to_string(), heading_style()),
    ];
    let flags = record.flags();
    if flags.is_empty() {
        pieces.push(("✓ none\n".into(), Style::default().fg(Color::Green)));
    } else {
        pieces.push((format!("{}\n", flags.len()), Style::default()));
    }
    for flag in flags {
        pieces.push(flag_piece(flag));
    }
    pieces
}

/// The prompt and the final answer (the edit first when the reviewer made one).
fn text_pieces(record: &Record, review: Option<&Review>) -> Vec<(String, Style)> {
    let mut pieces = vec![
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
            pieces.push((final_text, Style::default().fg(Color::Gray)));
        }
        None => {
            let title = match record.rounds.len() {
                0 => "Final answer (no revision)\n".to_string(),
                n => format!("Final answer (revision {n})\n"),
            };
            pieces.push((title, heading_style()));
            pieces.push((final_text, Style::default()));
        }
    }
    pieces
}

fn flag_piece(flag: &QualityFlag) -> (String, Style) {
    (
        format!("⚑ {}\n", flag.line()),
        Style::default().fg(flag_colour(flag.kind)),
    )
}

/// P(A) in figures and as a bar, what A and B are, and the label (flipped by the reviewer, or
/// not).
fn comparison_lines(record: &Record, review: Option<&Review>, width: u16) -> Vec<Line<'static>> {
    let Some(c) = &record.comparison else {
        return vec![Line::from(vec![
            Span::styled("Comparison: ", heading_style()),
            Span::styled("none", Style::default().fg(Color::DarkGray)),
        ])];
    };
    let label = reviewed_label(c, review);
    let (flipped, preferred) = (label.flipped, label.chosen_source(c));
    vec![
        Line::from(vec![
            Span::styled("Comparison: ", heading_style()),
            Span::styled(
                // Three digits, as the near-tie flag gives it: at two, 0.499 would read 0.50
                // beside a label preferring B.
                format!("P(A) = {:.3}", c.p_a),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(" · A {}, B {}", c.a_source, c.b_source)),
        ]),
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
