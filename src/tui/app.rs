//! The workbench state and its reactions: [`App`] holds the workspace, every view and the popup
//! stack; [`App::handle_event`] folds one [`AppEvent`] in, [`App::handle_key`] maps a key through
//! the key map of the focused context, and [`App::draw`] renders one frame. Nothing here touches
//! the terminal, so tests drive it with key sequences and draw it on ratatui's `TestBackend`.

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::Frame;
use tokio::sync::mpsc::UnboundedSender;

use super::bridge::{self, Models, RunControl, SessionLink};
use super::event::AppEvent;
use super::keymap::{self, Action, KeyContext};
use super::views::popups::{ConfirmKind, InputPurpose, Popup};
use super::views::{self, chrome, Command, ViewId};
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
            notice: String::new(),
            tx,
            dirty: true,
            quit: false,
            hits: HitAreas::default(),
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
            AppEvent::Try(event) => self.views.constitution.apply_try(event),
            AppEvent::ModelStatus(line) => {
                if let ModelState::Loading(lines) = &mut self.model {
                    lines.push(line);
                }
            }
            AppEvent::ModelReady(Ok(models)) => {
                self.model = ModelState::Ready(models);
                self.notice = "model ready".into();
                if !self.waiting.is_empty() {
                    let prompts = std::mem::take(&mut self.waiting);
                    self.start_run(prompts);
                }
            }
            AppEvent::ModelReady(Err(message)) => {
                self.notice = format!("model failed: {message}");
                self.model = ModelState::Failed(message);
                for prompt in std::mem::take(&mut self.waiting) {
                    self.ws.set_state(&prompt.id, RunState::NotRun);
                }
            }
            AppEvent::Notice(line) => self.notice = line,
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

    /// Carries out what a view or popup asked for.
    pub(crate) fn run_command(&mut self, command: Command) {
        match command {
            Command::None => {}
            Command::Notice(line) => self.notice = line,
            Command::Quit => {
                if let Some(run) = &self.run {
                    run.cancel_all();
                }
                self.quit = true;
            }
            Command::Input(purpose, initial) => self.popups.push(Popup::input(purpose, &initial)),
            Command::InputDone(purpose, text) => self.input_done(purpose, text),
            Command::Run(prompts) => self.start_run(prompts),
            Command::Cancel(prompt_id) => match &self.run {
                Some(run) => run.cancel(&prompt_id),
                None => {
                    if let Some(pos) = self.waiting.iter().position(|p| p.id == prompt_id) {
                        self.waiting.remove(pos);
                        self.ws.set_state(&prompt_id, RunState::NotRun);
                    }
                }
            },
            Command::Try(principle_id) => self.start_try(principle_id),
            Command::Show(view, id) => {
                if let Some(id) = id {
                    self.ws.current = Some(id);
                }
                self.view = view;
            }
            Command::Review(id, review) => {
                if let Err(e) = self.session.set_review(&id, &review) {
                    self.notice = format!("review not saved: {e}");
                }
                self.ws.set_review(&id, review);
            }
            Command::UndoReview => match self.ws.undo_review() {
                Some((id, review)) => {
                    if let Err(e) = self.session.set_review(&id, &review) {
                        self.notice = format!("undo not saved: {e}");
                    } else {
                        self.notice = "undone".into();
                    }
                }
                None => self.notice = "nothing to undo".into(),
            },
            Command::Export(choice) => {
                let result = bridge::export(&self.session, &choice);
                if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
                    dialog.finished(result);
                }
            }
        }
    }

    fn input_done(&mut self, purpose: InputPurpose, text: String) {
        match purpose {
            InputPurpose::NewPrompt => {
                let text = text.trim().to_string();
                if text.is_empty() {
                    return;
                }
                self.ws
                    .add_prompts(vec![Prompt::new(text, Some("typed".into()))]);
                self.views.prompts.select_last(&self.ws);
                self.notice = "prompt added".into();
            }
            InputPurpose::ImportPath => {
                match bridge::load_prompts(std::path::Path::new(text.trim())) {
                    Ok(prompts) => {
                        let total = prompts.len();
                        let added = self.ws.add_prompts(prompts);
                        self.notice = format!("imported {added} new prompts ({total} in the file)");
                    }
                    Err(e) => self.notice = format!("import failed: {e}"),
                }
            }
            InputPurpose::SaveAs => {
                self.notice = self.views.constitution.save_as(PathBuf::from(text.trim()));
            }
            InputPurpose::Search => self.views.review.set_search(text),
            InputPurpose::EditReview(id) => {
                let command = self.views.review.edited(&self.ws, &id, text);
                self.run_command(command);
            }
            InputPurpose::ExportDestination => {
                if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
                    dialog.set_destination(&self.session, PathBuf::from(text.trim()));
                }
            }
        }
    }

    fn start_run(&mut self, prompts: Vec<Prompt>) {
        if prompts.is_empty() {
            self.notice = "nothing to run".into();
            return;
        }
        let constitution = match self.views.constitution.valid_constitution() {
            Ok(c) => Arc::new(c),
            Err(message) => {
                self.notice = message;
                return;
            }
        };
        let models = match &self.model {
            ModelState::Ready(models) => models.clone(),
            ModelState::Loading(_) => {
                for prompt in &prompts {
                    self.ws.set_state(&prompt.id, RunState::Queued);
                }
                self.notice = format!("model loading: {} prompts queued", prompts.len());
                self.waiting.extend(prompts);
                return;
            }
            ModelState::Failed(e) => {
                self.notice = format!("cannot run: the model failed to load ({e})");
                return;
            }
        };
        if self.run.is_some() {
            self.notice = "a run is in progress; wait for it or cancel it".into();
            return;
        }
        let ids: Vec<String> = prompts.iter().map(|p| p.id.clone()).collect();
        let events = forward(self.tx.clone(), AppEvent::Pipeline);
        match bridge::start_run(models, constitution, prompts, &self.session, events) {
            Ok(control) => {
                for id in &ids {
                    self.ws.set_state(id, RunState::Queued);
                }
                self.notice = format!("running {} prompts", ids.len());
                self.run = Some(control);
            }
            Err(e) => self.notice = format!("cannot run: {e}"),
        }
    }

    fn start_try(&mut self, principle_id: String) {
        let Some(prompt) = self.views.prompts.selected_prompt(&self.ws) else {
            self.notice = "select a prompt in view 2 first".into();
            return;
        };
        let constitution = match self.views.constitution.valid_constitution() {
            Ok(c) => Arc::new(c),
            Err(message) => return self.notice = message,
        };
        let ModelState::Ready(models) = &self.model else {
            self.notice = "model loading: try again when it is ready".into();
            return;
        };
        let events = forward(self.tx.clone(), AppEvent::Try);
        match bridge::start_try(
            models.clone(),
            constitution,
            &principle_id,
            prompt.clone(),
            events,
        ) {
            Ok(control) => {
                self.views.constitution.try_started(&principle_id, &prompt);
                self.try_run = Some(control);
            }
            Err(e) => self.notice = format!("cannot try: {e}"),
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

/// A sender of pipeline events that forwards them into the app's event channel.
fn forward(
    tx: UnboundedSender<AppEvent>,
    wrap: fn(crate::pipeline::PipelineEvent) -> AppEvent,
) -> UnboundedSender<crate::pipeline::PipelineEvent> {
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = events_rx.recv().await {
            if tx.send(wrap(event)).is_err() {
                break;
            }
        }
    });
    events_tx
}
