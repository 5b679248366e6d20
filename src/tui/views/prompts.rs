//! View 2, prompts and runs: every prompt with its category and run state, marking and running
//! them, typing or importing new ones, and the selected prompt's text streaming in below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::popups::InputPurpose;
use super::{move_selection, scroll_to_show, Command, ViewId};
use crate::data::Prompt;
use crate::tui::keymap::Action;
use crate::tui::widgets::row_list::draw_rows;
use crate::tui::widgets::stream::{heading_style, live_pieces};
use crate::tui::widgets::wrap::wrap_spans;
use crate::tui::workspace::{RunState, Workspace};

/// Most prompts the workbench runs at once.
pub const MAX_CONCURRENCY: usize = 8;

/// How the next run goes: chosen in the prompts view, shown in its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSettings {
    /// Prompts in flight at once (1 to [`MAX_CONCURRENCY`], or a server model's capacity).
    pub concurrency: usize,
    /// Whether the feedback model compares the initial response with the revision.
    pub compare: bool,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            concurrency: crate::pipeline::runner::DEFAULT_CONCURRENCY,
            compare: true,
        }
    }
}

/// State of the prompts view.
#[derive(Default)]
pub struct PromptsView {
    pub selected: usize,
    offset: usize,
    page: usize,
    /// Options for the next run.
    pub run_settings: RunSettings,
}

impl PromptsView {
    /// The selected prompt.
    pub fn selected_prompt(&self, ws: &Workspace) -> Option<Prompt> {
        ws.prompts.get(self.selected).map(|row| row.prompt.clone())
    }

    /// Selects the last prompt (after adding one).
    pub fn select_last(&mut self, ws: &Workspace) {
        self.selected = ws.prompts.len().saturating_sub(1);
    }

    /// Selects a row.
    pub fn select(&mut self, row: usize, ws: &mut Workspace) {
        if row < ws.prompts.len() {
            self.selected = row;
        }
    }

    /// Handles an action of the prompts key map.
    pub fn on_action(&mut self, action: Action, ws: &mut Workspace) -> Command {
        let len = ws.prompts.len();
        match action {
            Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown => {
                self.selected = move_selection(self.selected, len, action, self.page);
            }
            Action::ToggleCompare => {
                self.run_settings.compare = !self.run_settings.compare;
                return Command::Notice(format!(
                    "comparisons {} for the next run",
                    on_off(self.run_settings.compare)
                ));
            }
            Action::MoreConcurrency | Action::LessConcurrency => {
                let n = self.run_settings.concurrency;
                self.run_settings.concurrency = if action == Action::MoreConcurrency {
                    // A server model may have started above the local maximum.
                    (n + 1).min(MAX_CONCURRENCY.max(n))
                } else {
                    n.saturating_sub(1).max(1)
                };
                return Command::Notice(format!(
                    "{} at once in the next run",
                    plural(self.run_settings.concurrency, "prompt")
                ));
            }
            Action::NewPrompt => return Command::Input(InputPurpose::NewPrompt, String::new()),
            Action::Import => return Command::Input(InputPurpose::ImportPath, String::new()),
            Action::Mark => {
                if let Some(row) = ws.prompts.get_mut(self.selected) {
                    row.marked = !row.marked;
                    self.selected = move_selection(self.selected, len, Action::Down, 1);
                }
            }
            Action::RunSelected => {
                let marked: Vec<Prompt> = ws
                    .prompts
                    .iter()
                    .filter(|r| r.marked)
                    .map(|r| r.prompt.clone())
                    .collect();
                let prompts = if marked.is_empty() {
                    self.selected_prompt(ws).into_iter().collect()
                } else {
                    marked
                };
                for row in &mut ws.prompts {
                    row.marked = false;
                }
                let runnable: Vec<Prompt> = prompts
                    .into_iter()
                    .filter(|p| {
                        !ws.prompts
                            .iter()
                            .any(|r| r.prompt.id == p.id && r.state.is_active())
                    })
                    .collect();
                return Command::Run(runnable);
            }
            Action::RunAll => {
                let prompts = ws
                    .prompts
                    .iter()
                    .filter(|r| !matches!(r.state, RunState::Done) && !r.state.is_active())
                    .map(|r| r.prompt.clone())
                    .collect();
                return Command::Run(prompts);
            }
            Action::Cancel => {
                if let Some(row) = ws.prompts.get(self.selected) {
                    if row.state.is_active() {
                        return Command::Cancel(row.prompt.id.clone());
                    }
                }
            }
            Action::Open => {
                if let Some(row) = ws.prompts.get(self.selected) {
                    if ws.record(&row.prompt.id).is_some() {
                        return Command::Show(ViewId::Inspector, Some(row.prompt.id.clone()));
                    }
                    return Command::Notice("no record yet: run the prompt first (r)".into());
                }
            }
            _ => {}
        }
        Command::None
    }

    /// Draws the list and the detail panel; returns the list area and first row.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ws: &Workspace) -> (Rect, usize) {
        let [list_area, detail_area] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" Prompts ({}) ", ws.prompts.len()))
            .title(
                Line::from(format!(
                    " next run: {} at once · comparisons {} (+/- f) ",
                    self.run_settings.concurrency,
                    on_off(self.run_settings.compare)
                ))
                .right_aligned(),
            );
        let inner = block.inner(list_area);
        frame.render_widget(block, list_area);
        let height = usize::from(inner.height);
        self.page = height.max(1);
        self.selected = self.selected.min(ws.prompts.len().saturating_sub(1));
        self.offset = scroll_to_show(self.offset, self.selected, height);
        let lines: Vec<Line> = ws
            .prompts
            .iter()
            .skip(self.offset)
            .take(height)
            .map(|row| {
                let (label, color) = state_style(&row.state);
                let mark = if row.marked { "● " } else { "  " };
                let category = row.prompt.category.clone().unwrap_or_default();
                let text: String = row.prompt.text.replace('\n', " ");
                Line::from(vec![
                    Span::styled(mark, Style::default().fg(Color::Yellow)),
                    Span::styled(format!("{label:<9} "), Style::default().fg(color)),
                    Span::styled(
                        format!("{} ", fit_width(&category, 12)),
                        Style::default().fg(Color::DarkGray),
                    ),
                    Span::raw(truncate(&text, usize::from(inner.width).saturating_sub(25))),
                ])
            })
            .collect();
        draw_rows(
            frame,
            inner,
            lines,
            self.selected.checked_sub(self.offset),
            "No prompts. Press n to type one or i to import a file.",
        );
        self.draw_detail(frame, detail_area, ws);
        (inner, self.offset)
    }

    fn draw_detail(&self, frame: &mut Frame, area: Rect, ws: &Workspace) {
        let block = Block::default().borders(Borders::ALL).title(" Output ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(row) = ws.prompts.get(self.selected) else {
            return;
        };
        let mut pieces = vec![(
            format!("{}\n", row.prompt.text),
            Style::default().add_modifier(Modifier::BOLD),
        )];
        if let Some(live) = ws.live.get(&row.prompt.id) {
            pieces.extend(live_pieces(live));
        } else if let Some(record) = ws.record(&row.prompt.id) {
            if let Some(initial) = &record.initial {
                pieces.push(("── initial response ──\n".into(), heading_style()));
                pieces.push((format!("{}\n", initial.text.trim_end()), Style::default()));
            }
            if let Some(last) = record.rounds.last() {
                pieces.push((
                    format!("── final revision (round {}) ──\n", record.rounds.len()),
                    heading_style(),
                ));
                pieces.push((
                    format!("{}\n", last.revision.text.trim_end()),
                    Style::default(),
                ));
            }
            match &record.status {
                crate::data::RecordStatus::Failed(e) => {
                    pieces.push((format!("failed: {e}\n"), Style::default().fg(Color::Red)))
                }
                crate::data::RecordStatus::Cancelled => pieces.push((
                    "cancelled: the text above is partial\n".into(),
                    Style::default().fg(Color::Yellow),
                )),
                crate::data::RecordStatus::Done => {}
            }
        } else if let RunState::Failed(e) = &row.state {
            pieces.push((format!("failed: {e}\n"), Style::default().fg(Color::Red)));
        }
        let lines = wrap_spans(&pieces, inner.width);
        // Follow the tail while text streams in.
        let skip = lines.len().saturating_sub(usize::from(inner.height));
        frame.render_widget(Paragraph::new(lines[skip..].to_vec()), inner);
    }
}

/// Label and colour of a run state.
pub fn state_style(state: &RunState) -> (&'static str, Color) {
    let color = match state {
        RunState::NotRun => Color::Gray,
        RunState::Queued => Color::Blue,
        RunState::Running(_) => Color::Cyan,
        RunState::Done => Color::Green,
        RunState::Failed(_) => Color::Red,
        RunState::Cancelled => Color::Yellow,
    };
    (state.label(), color)
}

/// `text` cut and padded to exactly `width` display columns (a wide character that would
/// straddle the edge is left out), so the columns after it line up whatever the script.
pub fn fit_width(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.extend(std::iter::repeat_n(' ', width - used));
    out
}

/// Cuts text to `width` display cells, with an ellipsis when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// `n thing` or `n things`.
pub fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
