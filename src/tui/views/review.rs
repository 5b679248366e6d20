//! View 5, the review queue: records filtered by review state, principle, evasive flag,
//! quality flag and a search; approve, reject, edit the text to export (the original is kept),
//! undo. Beside the queue, the review pane ([`super::review_pane`]) shows the selected record's
//! decision, final answer, flags and P(A). The filtered queue is recomputed only when records,
//! reviews or filters change, and only visible rows are drawn, so a frame costs the same for
//! ten records or a hundred thousand.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use super::popups::InputPurpose;
use super::prompts::truncate;
use super::review_pane::{draw_pane, flag_letters, state_style};
use super::{move_selection, scroll_to_show, Command, ViewId};
use crate::data::FlagKind;
use crate::data::Record;
use crate::quality;
use crate::session::{Review, ReviewState};
use crate::tui::keymap::Action;
use crate::tui::widgets::row_list::draw_rows;
use crate::tui::widgets::wrap::WrapCache;
use crate::tui::workspace::{now_rfc3339, pending_review, Workspace};

/// The review queue's filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub state: Option<ReviewState>,
    pub principle: Option<String>,
    pub evasive_only: bool,
    pub search: String,
    /// Quality flags (None: no filter).
    pub flag: Option<FlagFilter>,
}

impl Filters {
    /// The filters in force, e.g. `state: pending · flags: degenerate`, or how to set some.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(state) = self.state {
            parts.push(format!("state: {}", format!("{state:?}").to_lowercase()));
        }
        if let Some(p) = &self.principle {
            parts.push(format!("principle: {p}"));
        }
        if self.evasive_only {
            parts.push("evasive only".to_string());
        }
        if self.flag.is_some() {
            parts.push(format!("flags: {}", FlagFilter::label(self.flag)));
        }
        if !self.search.is_empty() {
            parts.push(format!("search: {}", self.search));
        }
        if parts.is_empty() {
            "no filter (s p v f /)".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// Which records the flag filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagFilter {
    /// Records with any flag.
    Any,
    /// Records with a flag of this kind.
    Kind(FlagKind),
    /// Records with no flag.
    Clean,
}

impl FlagFilter {
    /// The next filter in the cycle: none, any, each kind, clean, none.
    pub fn next(current: Option<FlagFilter>) -> Option<FlagFilter> {
        match current {
            None => Some(FlagFilter::Any),
            Some(FlagFilter::Any) => Some(FlagFilter::Kind(FlagKind::ALL[0])),
            Some(FlagFilter::Kind(kind)) => {
                let at = FlagKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
                Some(
                    FlagKind::ALL
                        .get(at + 1)
                        .map_or(FlagFilter::Clean, |k| FlagFilter::Kind(*k)),
                )
            }
            Some(FlagFilter::Clean) => None,
        }
    }

    /// Whether a record passes.
    pub fn keeps(self, record: &Record) -> bool {
        match self {
            FlagFilter::Any => !record.flags().is_empty(),
            FlagFilter::Kind(kind) => quality::has_flag(record, kind, None),
            FlagFilter::Clean => record.flags().is_empty(),
        }
    }

    /// How the filter is shown.
    pub fn label(filter: Option<FlagFilter>) -> &'static str {
        match filter {
            None => "all",
            Some(FlagFilter::Any) => "any flag",
            Some(FlagFilter::Kind(kind)) => kind.name(),
            Some(FlagFilter::Clean) => "none",
        }
    }
}

/// State of the review view.
#[derive(Default)]
pub struct ReviewView {
    pub filters: Filters,
    pub selected: usize,
    offset: usize,
    page: usize,
    queue: Vec<String>,
    queue_key: Option<(u64, Filters)>,
    cache: WrapCache,
}

/// Terminals at least this wide show the review pane beside the queue instead of below it.
pub const SIDE_BY_SIDE_WIDTH: u16 = 110;

impl ReviewView {
    /// The filtered queue, recomputed only when something it depends on changed.
    pub fn queue(&mut self, ws: &Workspace) -> &[String] {
        let key = (ws.version, self.filters.clone());
        if self.queue_key.as_ref() != Some(&key) {
            let f = &self.filters;
            let needle = f.search.to_lowercase();
            self.queue = ws
                .record_ids()
                .into_iter()
                .filter(|id| {
                    let Some(record) = ws.record(id) else {
                        return false;
                    };
                    f.state.is_none_or(|s| ws.review_state(id) == s)
                        && f.principle
                            .as_ref()
                            .is_none_or(|p| record.rounds.iter().any(|r| &r.principle_id == p))
                        && (!f.evasive_only || crate::quality::is_final_evasive(record))
                        && f.flag.is_none_or(|flag| flag.keeps(record))
                        && (needle.is_empty()
                            || record.prompt.text.to_lowercase().contains(&needle)
                            || record
                                .final_text()
                                .is_some_and(|t| t.to_lowercase().contains(&needle)))
                })
                .collect();
            self.queue_key = Some(key);
        }
        &self.queue
    }

    /// Sets the search text.
    pub fn set_search(&mut self, text: String) {
        self.filters.search = text.trim().to_string();
        self.selected = 0;
    }

    /// Selects a row of the queue.
    pub fn select(&mut self, row: usize, ws: &mut Workspace) {
        if row < self.queue(ws).len() {
            self.selected = row;
        }
    }

    fn selected_id(&mut self, ws: &Workspace) -> Option<String> {
        let selected = self.selected;
        self.queue(ws).get(selected).cloned()
    }

    /// The review after an edit of the export text (None when the text equals the original).
    pub fn edited(&mut self, ws: &Workspace, id: &str, text: String) -> Command {
        let original = ws.record(id).and_then(|r| r.final_text()).unwrap_or("");
        let mut review = ws.review(id).cloned().unwrap_or_else(pending_review);
        review.edited = (text.trim_end() != original.trim_end()).then_some(text);
        review.at = now_rfc3339();
        Command::Review(id.to_string(), review)
    }

    fn decide(&mut self, ws: &Workspace, state: ReviewState) -> Command {
        let Some(id) = self.selected_id(ws) else {
            return Command::None;
        };
        let mut review: Review = ws.review(&id).cloned().unwrap_or_else(pending_review);
        review.state = state;
        review.at = now_rfc3339();
        // Without a state filter the record stays in the queue: move on to the next one.
        if self.filters.state.is_none() {
            self.selected += 1;
        }
        Command::Review(id, review)
    }

    /// Handles an action of the review key map.
    pub fn on_action(&mut self, action: Action, ws: &mut Workspace) -> Command {
        let len = self.queue(ws).len();
        match action {
            Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown => {
                self.selected = move_selection(self.selected, len, action, self.page);
            }
            Action::Approve => return self.decide(ws, ReviewState::Approved),
            Action::Reject => return self.decide(ws, ReviewState::Rejected),
            Action::Undo => return Command::UndoReview,
            Action::EditText => {
                let Some(id) = self.selected_id(ws) else {
                    return Command::None;
                };
                let text = ws
                    .review(&id)
                    .and_then(|r| r.edited.clone())
                    .or_else(|| {
                        ws.record(&id)
                            .and_then(|r| r.final_text().map(str::to_string))
                    })
                    .unwrap_or_default();
                return Command::Input(InputPurpose::EditReview(id), text);
            }
            Action::Search => {
                return Command::Input(InputPurpose::Search, self.filters.search.clone())
            }
            Action::FilterState => {
                self.filters.state = match self.filters.state {
                    None => Some(ReviewState::Pending),
                    Some(ReviewState::Pending) => Some(ReviewState::Approved),
                    Some(ReviewState::Approved) => Some(ReviewState::Rejected),
                    Some(ReviewState::Rejected) => None,
                };
                self.selected = 0;
            }
            Action::FilterPrinciple => {
                let mut ids: Vec<String> = ws
                    .session
                    .records()
                    .iter()
                    .flat_map(|r| r.rounds.iter().map(|x| x.principle_id.clone()))
                    .collect();
                ids.sort();
                ids.dedup();
                let next = match &self.filters.principle {
                    None => ids.first().cloned(),
                    Some(p) => ids
                        .iter()
                        .position(|x| x == p)
                        .and_then(|i| ids.get(i + 1).cloned()),
                };
                self.filters.principle = next;
                self.selected = 0;
            }
            Action::FilterEvasive => {
                self.filters.evasive_only = !self.filters.evasive_only;
                self.selected = 0;
            }
            Action::FilterFlag => {
                self.filters.flag = FlagFilter::next(self.filters.flag);
                self.selected = 0;
            }
            Action::Open | Action::Compare => {
                if let Some(id) = self.selected_id(ws) {
                    let view = if action == Action::Open {
                        ViewId::Inspector
                    } else {
                        ViewId::Comparison
                    };
                    return Command::Show(view, Some(id));
                }
            }
            _ => {}
        }
        Command::None
    }

    /// Draws the queue and, beside it (below it on narrow terminals), the review pane of the
    /// selected record; returns the list area and first row.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ws: &Workspace) -> (Rect, usize) {
        let (approved, rejected, pending) = ws.review_counts();
        let len = self.queue(ws).len();
        let filter_text = self.filters.describe();
        let [list_area, pane_area] = if area.width >= SIDE_BY_SIDE_WIDTH {
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
        } else {
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" Review · {approved} approved · {rejected} rejected · {pending} pending · {len} shown "))
            .title_bottom(Line::from(format!(" {filter_text} ")));
        let inner = block.inner(list_area);
        frame.render_widget(block, list_area);
        let height = usize::from(inner.height);
        self.page = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = scroll_to_show(self.offset, self.selected, height);
        let (offset, selected) = (self.offset, self.selected);
        let rows: Vec<Line> = self.queue[offset.min(len)..(offset + height).min(len)]
            .iter()
            // The queue holds only ids of records in `ws`, so rows line up with positions.
            .filter_map(|id| ws.record(id).map(|r| (id, r)))
            .map(|(id, record)| {
                let review = ws.review(id);
                let (label, color) = state_style(review.map_or(ReviewState::Pending, |r| r.state));
                let edited = if review.is_some_and(|r| r.edited.is_some()) {
                    "E"
                } else {
                    " "
                };
                let letters: String = flag_letters(record).chars().take(3).collect();
                let text = record.prompt.text.replace('\n', " ");
                Line::from(vec![
                    Span::styled(format!("{label:<9}"), Style::default().fg(color)),
                    Span::styled(
                        format!("{edited}{letters:<3} "),
                        Style::default().fg(Color::Yellow),
                    ),
                    Span::raw(truncate(&text, usize::from(inner.width).saturating_sub(14))),
                ])
            })
            .collect();
        draw_rows(
            frame,
            inner,
            rows,
            selected.checked_sub(offset),
            "Nothing to review with these filters.",
        );
        let id = self.queue.get(self.selected).cloned();
        draw_pane(frame, pane_area, ws, id.as_deref(), &mut self.cache);
        (inner, offset)
    }
}
