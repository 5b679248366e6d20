//! The screens of the workbench, one per file, and the chrome around them (tabs, status line,
//! key bar) and the popups over them. Each view owns its own state, reacts to the actions of
//! its key map by changing that state or returning a [`Command`] for the app, and draws itself.

pub mod arena;
pub mod blind;
pub mod chrome;
pub mod comparison;
pub mod constitution;
pub mod constitution_model;
pub mod export;
pub mod insights;
pub mod inspector;
pub mod judge;
pub mod model_picker;
pub mod popups;
pub mod prompts;
pub mod review;
pub mod review_pane;

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::keymap::{Action, KeyContext};
use super::workspace::Workspace;
use crate::data::Prompt;
use crate::session::Review;
use popups::InputPurpose;

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewId {
    Constitution,
    Prompts,
    Inspector,
    Comparison,
    Review,
    Insights,
    Judge,
    Arena,
}

impl ViewId {
    /// All views in tab order.
    pub const ALL: [ViewId; 8] = [
        ViewId::Constitution,
        ViewId::Prompts,
        ViewId::Inspector,
        ViewId::Comparison,
        ViewId::Review,
        ViewId::Insights,
        ViewId::Judge,
        ViewId::Arena,
    ];

    /// The view a number key selects (1-based).
    pub fn from_number(n: u8) -> Option<ViewId> {
        ViewId::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    fn index(self) -> usize {
        ViewId::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    /// The next view, wrapping.
    pub fn next(self) -> ViewId {
        ViewId::ALL[(self.index() + 1) % ViewId::ALL.len()]
    }

    /// The previous view, wrapping.
    pub fn prev(self) -> ViewId {
        ViewId::ALL[(self.index() + ViewId::ALL.len() - 1) % ViewId::ALL.len()]
    }

    /// The tab title on narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            ViewId::Constitution => "Const",
            ViewId::Prompts => "Prompts",
            ViewId::Inspector => "Revs",
            ViewId::Comparison => "Compare",
            ViewId::Review => "Review",
            ViewId::Insights => "Insights",
            ViewId::Judge => "Judge",
            ViewId::Arena => "Arena",
        }
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            ViewId::Constitution => "Constitution",
            ViewId::Prompts => "Prompts & runs",
            ViewId::Inspector => "Revisions",
            ViewId::Comparison => "Comparison",
            ViewId::Review => "Review",
            ViewId::Insights => "Insights",
            ViewId::Judge => "Judge",
            ViewId::Arena => "Arena",
        }
    }
}

/// What a view or popup asks the app to do.
#[derive(Debug, Clone)]
pub enum Command {
    None,
    Notice(String),
    Quit,
    /// Open a text input popup with some initial text.
    Input(InputPurpose, String),
    /// A text input popup was accepted.
    InputDone(InputPurpose, String),
    Run(Vec<Prompt>),
    Cancel(String),
    Try(String),
    /// Cancel the running try of a principle, if any.
    CancelTry,
    /// Switch to a view, optionally showing a record.
    Show(ViewId, Option<String>),
    Review(String, Review),
    UndoReview,
    /// Cancel the running A/B, if any.
    CancelAb,
    /// Count what an export with these options would write.
    PlanExport(Box<crate::export::ExportOptions>),
    /// Write an export with these options.
    Export(Box<crate::export::ExportOptions>),
    /// Write the constitution's text to a file (on the disk worker).
    Save(std::path::PathBuf, String),
    /// Open blind judging over the session's compared records.
    OpenBlind,
    /// Open blind judging over the arena's matches.
    OpenArenaBlind,
    /// A person's blind pick of an arena's match, to be appended to its `human.jsonl`.
    ArenaPick(PathBuf, Box<crate::ab::arena::HumanPick>),
    /// A person's blind pick, to be made durable in the session log.
    BlindPick(String, crate::session::BlindPick),
    /// Load another model for the runs that follow.
    PickModel(Box<crate::model::choices::ModelChoice>),
}

/// Every view's state.
pub struct Views {
    pub constitution: constitution::ConstitutionView,
    pub prompts: prompts::PromptsView,
    pub inspector: inspector::InspectorView,
    pub comparison: comparison::ComparisonView,
    pub review: review::ReviewView,
    pub insights: insights::InsightsView,
    pub judge: judge::JudgeView,
    pub arena: arena::ArenaView,
}

impl Views {
    /// Views over a constitution file's text.
    pub fn new(constitution_path: PathBuf, constitution_text: String) -> Views {
        Views {
            constitution: constitution::ConstitutionView::new(constitution_path, constitution_text),
            prompts: prompts::PromptsView::default(),
            inspector: inspector::InspectorView::default(),
            comparison: comparison::ComparisonView::default(),
            review: review::ReviewView::default(),
            insights: insights::InsightsView::default(),
            judge: judge::JudgeView::default(),
            arena: arena::ArenaView::default(),
        }
    }

    /// The key context of a view.
    pub fn key_context(&self, view: ViewId) -> KeyContext {
        match view {
            ViewId::Constitution if self.constitution.is_editing() => {
                KeyContext::ConstitutionEditing
            }
            ViewId::Constitution => KeyContext::Constitution,
            ViewId::Prompts => KeyContext::Prompts,
            ViewId::Inspector => KeyContext::Inspector,
            ViewId::Comparison => KeyContext::Comparison,
            ViewId::Review => KeyContext::Review,
            ViewId::Insights => KeyContext::Insights,
            ViewId::Judge => KeyContext::Judge,
            ViewId::Arena => KeyContext::Arena,
        }
    }

    /// Passes an action to a view.
    pub fn on_action(&mut self, view: ViewId, action: Action, ws: &mut Workspace) -> Command {
        match view {
            ViewId::Constitution => self.constitution.on_action(action),
            ViewId::Prompts => self.prompts.on_action(action, ws),
            ViewId::Inspector => self.inspector.on_action(action, ws),
            ViewId::Comparison => self.comparison.on_action(action, ws),
            ViewId::Review => self.review.on_action(action, ws),
            ViewId::Insights => self.insights.on_action(action),
            ViewId::Judge => self.judge.on_action(action),
            ViewId::Arena => self.arena.on_action(action),
        }
    }

    /// Selects a list row (a mouse click).
    pub fn select_row(&mut self, view: ViewId, row: usize, ws: &mut Workspace) {
        match view {
            ViewId::Constitution => self.constitution.select(row),
            ViewId::Prompts => self.prompts.select(row, ws),
            ViewId::Review => self.review.select(row, ws),
            ViewId::Inspector
            | ViewId::Comparison
            | ViewId::Insights
            | ViewId::Judge
            | ViewId::Arena => {}
        }
    }

    /// Draws a view; returns its list area and the index of the first visible row.
    pub fn draw(
        &mut self,
        view: ViewId,
        frame: &mut Frame,
        area: Rect,
        ws: &Workspace,
    ) -> (Rect, usize) {
        match view {
            ViewId::Constitution => self.constitution.draw(frame, area),
            ViewId::Prompts => self.prompts.draw(frame, area, ws),
            ViewId::Inspector => {
                self.inspector.draw(frame, area, ws);
                (Rect::default(), 0)
            }
            ViewId::Comparison => {
                self.comparison.draw(frame, area, ws);
                (Rect::default(), 0)
            }
            ViewId::Review => self.review.draw(frame, area, ws),
            ViewId::Insights => {
                self.insights.draw(frame, area, ws);
                (Rect::default(), 0)
            }
            ViewId::Judge => {
                self.judge.draw(frame, area);
                (Rect::default(), 0)
            }
            ViewId::Arena => {
                self.arena.draw(frame, area);
                (Rect::default(), 0)
            }
        }
    }
}

/// Moves a selection index by an action within `len` rows; `page` rows for page keys.
pub fn move_selection(selected: usize, len: usize, action: Action, page: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => selected.saturating_sub(page.max(1)),
        Action::PageDown => (selected + page.max(1)).min(last),
        _ => selected.min(last),
    }
}

/// The first row to show so that `selected` is visible in `height` rows, keeping `offset`
/// when possible (the list scrolls only when the selection leaves it).
pub fn scroll_to_show(offset: usize, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}
