//! The workbench state and its reactions: [`App`] holds the workspace, every view, the popup
//! stack and the parts that own background work ([`super::parts`]); [`App::handle_event`]
//! routes one [`AppEvent`] to its owner, [`App::handle_key`] maps a key through the key map of
//! the focused context, and [`App::draw`] renders one frame. Nothing here touches the
//! terminal, so tests drive it with key sequences and draw it on ratatui's `TestBackend`.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::Frame;
use tokio::sync::mpsc::UnboundedSender;

use super::bridge::SessionLink;
use super::event::AppEvent;
use super::keymap::{self, Action, KeyContext};
use super::parts::ab::AbPart;
use super::parts::disk::DiskPart;
use super::parts::models::ModelPart;
use super::parts::runs::RunPart;
use super::views::popups::{ConfirmKind, Popup};
use super::views::{self, chrome, ViewId};
use super::workspace::Workspace;
use crate::data::Prompt;

/// Smallest terminal the workbench draws in; smaller shows a message instead.
pub const MIN_WIDTH: u16 = 60;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 15;

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
    /// The session records and reviews go to.
    pub(crate) session: SessionLink,
    /// The run, the try and prompts waiting for the model.
    pub(crate) runs: RunPart,
    /// The model, the picker's choices and a picked model loading.
    pub(crate) models: ModelPart,
    /// An A/B run from the Insights view.
    pub(crate) ab: AbPart,
    /// Work handed to the disk worker, off the UI thread.
    pub(crate) disk: DiskPart,
    pub(crate) notice: String,
    pub(crate) tx: UnboundedSender<AppEvent>,
    pub(crate) dirty: bool,
    /// Quit was asked and nothing is left to wait for.
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
        ws.switch_session(session.state());
        ws.add_prompts(prompts);
        let views = views::Views::new(paths.constitution.clone(), constitution_text);
        let notice = session
            .read_only()
            .map(|reason| format!("read-only: {}", reason.lines().next().unwrap_or(reason)))
            .unwrap_or_default();
        let disk = DiskPart::new(tx.clone());
        App {
            view: ViewId::Constitution,
            ws,
            views,
            popups: Vec::new(),
            session,
            runs: RunPart::default(),
            models: ModelPart::default(),
            ab: AbPart::default(),
            disk,
            notice,
            tx,
            dirty: true,
            quit: false,
            hits: HitAreas::default(),
        }
    }

    /// Whether the app may end: quit was asked, and prompts it cancelled have had their
    /// records written (or the wait for them is over).
    pub fn should_quit(&self) -> bool {
        self.quit || (self.runs.is_quitting() && self.runs.may_quit(std::time::Instant::now()))
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
                if let Some(line) = self.runs.on_event(&event) {
                    self.notice = line;
                }
                self.ws.apply(event);
            }
            AppEvent::Try(event) => self.views.constitution.apply_try(event),
            AppEvent::TryEnded(result) => {
                self.views.constitution.try_ended(&result);
                let ended = crate::pipeline::PipelineEvent::RunFinished {
                    done: 0,
                    failed: usize::from(result.is_err()),
                    cancelled: usize::from(matches!(result, Ok(super::bridge::TryEnd::Cancelled))),
                };
                if let Some(line) = self.runs.on_try_event(&ended) {
                    self.notice = match &result {
                        Err(why) => format!("{line}: {why}"),
                        Ok(_) => line,
                    };
                }
            }
            AppEvent::ModelStatus(line) => self.models.status(line),
            AppEvent::ModelReady(result) => self.model_loaded(result),
            AppEvent::Notice(line) => self.notice = line,
            AppEvent::Disk(done) => self.disk_done(done),
            AppEvent::Ab(update) => self.ab_update(update),
            AppEvent::Eval(Ok(found)) => self.views.judge.eval = Some(*found),
            AppEvent::Eval(Err(why)) => self.views.judge.status = Some(why),
            AppEvent::Arena(Ok(arena)) => self.views.arena.arena = Some(*arena),
            AppEvent::Arena(Err(why)) => self.views.arena.status = Some(why),
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
                let out = self
                    .session
                    .dir
                    .as_ref()
                    .map_or_else(|| "export".into(), |d| d.join("export"));
                let (dialog, count) = views::export::ExportDialog::new(out);
                self.popups.push(Popup::Export(Box::new(dialog)));
                self.run_command(count);
            }
            Action::OpenModelPicker => match self.models.picker() {
                Ok(picker) => self.popups.push(Popup::Models(Box::new(picker))),
                Err(why) => self.notice = why,
            },
            Action::CancelAll => {
                if self.runs.cancel_all() {
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
        if self.ws.active_count() > 0 || self.runs.has_waiting() {
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
