//! The workbench state and its reactions: [`App`] holds the workspace, every view and the popup
//! stack; [`App::handle_event`] folds one [`AppEvent`] in, [`App::handle_key`] maps a key through
//! the key map of the focused context, and [`App::draw`] renders one frame. Nothing here touches
//! the terminal, so tests drive it with key sequences and draw it on ratatui's `TestBackend`.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::Frame;
use tokio::sync::mpsc::UnboundedSender;

use super::bridge::{Models, RunControl, SessionLink};
use super::disk::DiskWorker;
use super::event::AppEvent;
use super::keymap::{self, Action, KeyContext};
use super::views::popups::{ConfirmKind, Popup};
use super::views::{self, chrome, ViewId};
use super::workspace::{RunState, Workspace};
use crate::pipeline::Prompt;

/// Smallest terminal the workbench draws in; smaller shows a message instead.
pub const MIN_WIDTH: u16 = 60;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 15;

/// Where the model is.
pub enum ModelState {
    /// Loading; the status lines so far.
    Loading(Vec<String>),
    Ready(Models),
    Failed(String),
}

/// Screen areas remembered from the last frame, for mouse clicks.
#[derive(Debug, Default, Clone)]
pub struct HitAreas {
    pub tabs: Vec<(Rect, ViewId)>,
    /// The list of the current view (inside its border) and the index of its first row.
    pub list: Rect,
    pub list_offset: usize,
}

/// Paths the workbench was opened with.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    pub constitution: PathBuf,
    pub prompts: Option<PathBuf>,
    pub session: Option<PathBuf>,
}

/// The whole workbench state.
pub struct App {
    pub(crate) view: ViewId,
    pub(crate) ws: Workspace,
    pub(crate) views: views::Views,
    pub(crate) popups: Vec<Popup>,
    pub(crate) model: ModelState,
    pub(crate) session: SessionLink,
    pub(crate) run: Option<RunControl>,
    pub(crate) try_run: Option<RunControl>,
    /// Prompts asked to run while the model was still loading.
    pub(crate) waiting: Vec<Prompt>,
    pub(crate) notice: String,
    pub(crate) tx: UnboundedSender<AppEvent>,
    pub(crate) dirty: bool,
    pub(crate) quit: bool,
    pub(crate) hits: HitAreas,
    /// Where disk work goes, off the UI thread.
    pub(crate) disk: DiskWorker,
    /// Review decisions (and undos) queued on the disk worker, not yet durable.
    pub(crate) reviews_in_flight: usize,
    /// Cancels the A/B run started from the Insights view, while it runs.
    pub(crate) ab_run: Option<tokio_util::sync::CancellationToken>,
    /// What the model picker offers.
    pub(crate) model_choices: Vec<views::model_picker::ModelChoice>,
    /// The choice being loaded from the picker, if one is.
    pub(crate) picked: Option<String>,
}

impl App {
    /// A workbench over a constitution text (saved at `paths.constitution`), some prompts and
    /// the session's records. Background work reports through `tx`.
    pub fn new(
        paths: Paths,
        constitution_text: String,
        prompts: Vec<Prompt>,
        session: SessionLink,
        tx: UnboundedSender<AppEvent>,
    ) -> App {
        let mut ws = Workspace::default();
        for record in session.records() {
            ws.add_record(record);
        }
        for (id, review) in session.reviews() {
            ws.reviews.insert(id, review);
        }
        ws.add_prompts(prompts);
        let views = views::Views::new(paths.constitution.clone(), constitution_text);
        let notice = session
            .read_only()
            .map(|reason| format!("read-only: {}", reason.lines().next().unwrap_or(reason)))
            .unwrap_or_default();
        let disk = DiskWorker::new(tx.clone());
        App {
            view: ViewId::Constitution,
            ws,
            views,
            popups: Vec::new(),
            model: ModelState::Loading(Vec::new()),
            session,
            run: None,
            try_run: None,
            waiting: Vec::new(),
            notice,
            tx,
            dirty: true,
            quit: false,
            hits: HitAreas::default(),
            disk,
            reviews_in_flight: 0,
            ab_run: None,
            model_choices: Vec::new(),
            picked: None,
        }
    }

    /// Whether the app asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether something changed since the last draw (and clears the flag).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// The view on screen.
    pub fn view(&self) -> ViewId {
        self.view
    }

    /// The last notice shown in the status bar.
    pub fn notice(&self) -> &str {
        &self.notice
    }

    /// Folds one event in.
    pub fn handle_event(&mut self, event: AppEvent) {
        match event {
            AppEvent::Key(key) => return self.handle_key(key),
            AppEvent::Mouse(mouse) => return self.handle_mouse(mouse),
            AppEvent::Resize(..) => {}
            AppEvent::Paste(text) => self.paste(&text),
            AppEvent::Tick => {
                let before = self.ws.tokens_per_second;
                self.ws.tick(std::time::Instant::now());
                if before == self.ws.tokens_per_second && self.ws.active_count() == 0 {
                    return;
                }
            }
            AppEvent::Pipeline(event) => {
                let finished = matches!(event, crate::pipeline::PipelineEvent::RunFinished { .. });
                self.ws.apply(event);
                if finished {
                    self.run = None;
                    self.notice = "run finished".into();
                }
            }
            AppEvent::Try(event) => {
                if let crate::pipeline::PipelineEvent::RunFinished { cancelled, .. } = &event {
                    self.try_run = None;
                    self.notice = if *cancelled > 0 {
                        "try cancelled".into()
                    } else {
                        "try finished".into()
                    };
                }
                self.views.constitution.apply_try(event);
            }
            AppEvent::ModelStatus(line) => {
                if let ModelState::Loading(lines) = &mut self.model {
                    lines.push(line);
                }
            }
            AppEvent::ModelReady(Ok(models)) => {
                self.model = ModelState::Ready(models);
                self.notice = "model ready".into();
                self.model_loaded();
                if !self.waiting.is_empty() {
                    let prompts = std::mem::take(&mut self.waiting);
                    self.start_run(prompts);
                }
            }
            AppEvent::ModelReady(Err(message)) => {
                self.picked = None;
                self.notice = format!("model failed: {message}");
                self.model = ModelState::Failed(message);
                for prompt in std::mem::take(&mut self.waiting) {
                    self.ws.set_state(&prompt.id, RunState::NotRun);
                }
            }
            AppEvent::Notice(line) => self.notice = line,
            AppEvent::Disk(done) => self.disk_done(done),
            AppEvent::Ab(update) => self.ab_update(update),
        }
        self.dirty = true;
    }

    /// The key context with the focus: the top popup, else the view.
    pub fn key_context(&self) -> KeyContext {
        match self.popups.last() {
            Some(popup) => popup.key_context(),
            None => self.views.key_context(self.view),
        }
    }

    /// Handles one key press.
    pub fn handle_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        if let Some(mut popup) = self.popups.pop() {
            let command = popup.handle_key(key, &self.ws);
            if !popup.closed() {
                self.popups.push(popup);
            }
            return self.run_command(command);
        }
        let ctx = self.key_context();
        let action = keymap::lookup(ctx, &key);
        if ctx == KeyContext::ConstitutionEditing && action.is_none() {
            self.views.constitution.edit_key(key);
            return;
        }
        let Some(action) = action else { return };
        self.handle_action(action);
    }

    /// Applies an action of the focused context.
    pub fn handle_action(&mut self, action: Action) {
        match action {
            Action::Quit => self.request_quit(),
            Action::Help => self.popups.push(Popup::help(self.key_context())),
            Action::View(n) => {
                if let Some(view) = ViewId::from_number(n) {
                    self.view = view;
                }
            }
            Action::NextView => self.view = self.view.next(),
            Action::PrevView => self.view = self.view.prev(),
            Action::OpenExport => {
                self.popups
                    .push(Popup::Export(Box::new(views::export::ExportDialog::new(
                        &self.session,
                        &self.ws,
                    ))))
            }
            Action::OpenModelPicker => self.open_model_picker(),
            Action::CancelAll => {
                if let Some(run) = &self.run {
                    run.cancel_all();
                    self.notice = "cancelling every running prompt".into();
                } else {
                    self.request_quit();
                }
            }
            other => {
                let command = self.views.on_action(self.view, other, &mut self.ws);
                self.run_command(command);
            }
        }
    }

    fn request_quit(&mut self) {
        if self.ws.active_count() > 0 || !self.waiting.is_empty() {
            self.popups
                .push(Popup::Confirm(ConfirmKind::QuitWhileRunning));
        } else if self.views.constitution.is_modified() {
            self.popups.push(Popup::Confirm(ConfirmKind::QuitUnsaved));
        } else {
            self.quit = true;
        }
    }

    /// Inserts pasted text where the focus is: a text input or the principle editor, in one
    /// piece (one edit, one validation), whatever its size.
    pub fn paste(&mut self, text: &str) {
        self.dirty = true;
        if let Some(Popup::Input(input)) = self.popups.last_mut() {
            // An input is one line: line breaks become spaces.
            input.editor.insert_str(text.replace(['\r', '\n'], " "));
        } else if self.key_context() == KeyContext::ConstitutionEditing {
            self.views.constitution.paste(text);
        }
    }

    /// Handles a mouse click or scroll.
    pub fn handle_mouse(&mut self, mouse: MouseEvent) {
        let at = Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp if self.popups.is_empty() => {
                let action = if mouse.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                for _ in 0..3 {
                    self.handle_action(action);
                }
            }
            MouseEventKind::Down(MouseButton::Left) if self.popups.is_empty() => {
                if let Some((_, view)) = self.hits.tabs.iter().find(|(r, _)| r.contains(at)) {
                    self.view = *view;
                } else if self.hits.list.contains(at) {
                    let row = self.hits.list_offset + usize::from(at.y - self.hits.list.y);
                    self.views.select_row(self.view, row, &mut self.ws);
                }
            }
            _ => return,
        }
        self.dirty = true;
    }

    /// Draws one frame.
    pub fn draw(&mut self, frame: &mut Frame) {
        let area = frame.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            chrome::draw_too_small(frame, area);
            return;
        }
        let [tabs, body, status, keys] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        self.hits.tabs = chrome::draw_tabs(frame, tabs, self.view, &self.views);
        let list = self.views.draw(self.view, frame, body, &self.ws);
        self.hits.list = list.0;
        self.hits.list_offset = list.1;
        chrome::draw_status(frame, status, self);
        chrome::draw_key_bar(frame, keys, self.key_context());
        for popup in &mut self.popups {
            popup.draw(frame, body, &self.ws);
        }
    }
}
