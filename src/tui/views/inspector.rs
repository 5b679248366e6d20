//! View 3, the revision inspector: a record's prompt, initial response and each round's
//! principle, critique and revision; optionally the word diff of each revision against the text
//! before it, or of the initial response against the final revision. Wrapped lines are cached
//! per record and width, and only the visible rows are drawn.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{Command, ViewId};
use crate::data::{Record, RecordStatus};
use crate::tui::keymap::Action;
use crate::tui::widgets::diff::{diff_counts, diff_pieces};
use crate::tui::widgets::stream::heading_style;
use crate::tui::widgets::wrap::{wrap_spans, WrapCache};
use crate::tui::workspace::Workspace;

/// Which diff the inspector shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffMode {
    #[default]
    Off,
    /// Each revision against the text before it.
    Rounds,
    /// The initial response against the final revision.
    InitialFinal,
}

impl DiffMode {
    fn next(self) -> DiffMode {
        match self {
            DiffMode::Off => DiffMode::Rounds,
            DiffMode::Rounds => DiffMode::InitialFinal,
            DiffMode::InitialFinal => DiffMode::Off,
        }
    }
    fn label(self) -> &'static str {
        match self {
            DiffMode::Off => "no diff",
            DiffMode::Rounds => "diff: each round vs previous",
            DiffMode::InitialFinal => "diff: initial vs final",
        }
    }
}

/// State of the inspector.
#[derive(Default)]
pub struct InspectorView {
    pub diff: DiffMode,
    pub scroll: usize,
    page: usize,
    cache: WrapCache,
}

impl InspectorView {
    /// Handles an action of the inspector key map.
    pub fn on_action(&mut self, action: Action, ws: &mut Workspace) -> Command {
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll += 1,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(self.page.max(1)),
            Action::PageDown => self.scroll += self.page.max(1),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = usize::MAX / 2,
            Action::CycleDiff => self.diff = self.diff.next(),
            Action::NextRecord | Action::PrevRecord => {
                step_record(ws, action == Action::NextRecord);
                self.scroll = 0;
            }
            Action::Compare => return Command::Show(ViewId::Comparison, None),
            Action::Back => return Command::Show(ViewId::Prompts, None),
            _ => {}
        }
        Command::None
    }

    /// Draws the current record.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ws: &Workspace) {
        let record = ws.current.as_ref().and_then(|id| ws.record(id));
        let Some(record) = record else {
            frame.render_widget(
                Paragraph::new(
                    "No record selected. Run a prompt in view 2, then press Enter on it.",
                )
                .block(Block::default().borders(Borders::ALL).title(" Revisions ")),
                area,
            );
            return;
        };
        let (deleted, inserted) = match (&record.initial, record.final_text()) {
            (Some(initial), Some(last)) => diff_counts(&initial.text, last),
            _ => (0, 0),
        };
        let title = format!(
            " Revisions · {} round(s) · {} · initial→final −{deleted} +{inserted} words ",
            record.rounds.len(),
            self.diff.label()
        );
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let key = format!("{}:{}:{:?}", record.prompt.id, ws.version, self.diff);
        let diff = self.diff;
        let lines = self.cache.get_or_build(&key, inner.width, || {
            wrap_spans(&record_pieces(record, diff), inner.width)
        });
        let height = usize::from(inner.height);
        self.page = height;
        self.scroll = self.scroll.min(lines.len().saturating_sub(height));
        let visible: Vec<Line> = lines
            .iter()
            .skip(self.scroll)
            .take(height)
            .cloned()
            .collect();
        frame.render_widget(Paragraph::new(visible), inner);
    }
}

/// Moves `ws.current` to the next or previous record in list order.
pub fn step_record(ws: &mut Workspace, forward: bool) {
    let ids = ws.record_ids();
    if ids.is_empty() {
        return;
    }
    let pos = ws
        .current
        .as_ref()
        .and_then(|c| ids.iter().position(|id| id == c));
    let next = match (pos, forward) {
        (None, _) => 0,
        (Some(p), true) => (p + 1).min(ids.len() - 1),
        (Some(p), false) => p.saturating_sub(1),
    };
    ws.current = Some(ids[next].clone());
}

/// The record as styled pieces for wrapping.
pub fn record_pieces(record: &Record, diff: DiffMode) -> Vec<(String, Style)> {
    let plain = Style::default();
    let dim = Style::default()
        .fg(Color::Gray)
        .add_modifier(Modifier::ITALIC);
    let mut pieces = vec![
        ("Prompt\n".to_string(), heading_style()),
        (
            format!("{}\n\n", record.prompt.text.trim_end()),
            Style::default().add_modifier(Modifier::BOLD),
        ),
    ];
    let initial = record
        .initial
        .as_ref()
        .map(|r| r.text.as_str())
        .unwrap_or("");
    if diff == DiffMode::InitialFinal {
        pieces.push(("Initial → final revision\n".into(), heading_style()));
        pieces.extend(diff_pieces(initial, record.final_text().unwrap_or(initial)));
        pieces.push(("\n".into(), plain));
        return pieces;
    }
    let evasive = record.initial.as_ref().is_some_and(|r| r.evasive);
    pieces.push((
        format!(
            "Initial response{}\n",
            if evasive { " (evasive)" } else { "" }
        ),
        heading_style(),
    ));
    pieces.push((format!("{}\n\n", initial.trim_end()), plain));
    let mut previous = initial;
    for (i, round) in record.rounds.iter().enumerate() {
        pieces.push((
            format!("Round {} · principle `{}`\n", i + 1, round.principle_id),
            heading_style(),
        ));
        pieces.push(("Critique: ".into(), dim.add_modifier(Modifier::BOLD)));
        pieces.push((format!("{}\n", round.critique.text.trim_end()), dim));
        pieces.push((
            "Revision: ".into(),
            Style::default().add_modifier(Modifier::BOLD),
        ));
        if diff == DiffMode::Rounds {
            pieces.extend(diff_pieces(previous, &round.revision.text));
            pieces.push(("\n\n".into(), plain));
        } else {
            pieces.push((format!("{}\n\n", round.revision.text.trim_end()), plain));
        }
        previous = &round.revision.text;
    }
    match &record.status {
        RecordStatus::Done => {}
        RecordStatus::Cancelled => pieces.push((
            "Cancelled: the last text is partial.\n".into(),
            Style::default().fg(Color::Yellow),
        )),
        RecordStatus::Failed(e) => {
            pieces.push((format!("Failed: {e}\n"), Style::default().fg(Color::Red)))
        }
    }
    pieces
}
