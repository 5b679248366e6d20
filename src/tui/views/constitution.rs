//! View 1, the constitution editor: principles of both kinds in a list, the selected one as an
//! editable TOML fragment (ratatui-textarea), the whole file highlighted below it with live
//! validation (line:col), and the output of trying a principle on a prompt.

use std::path::PathBuf;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use ratatui_textarea::{TextArea, WrapMode};

use super::constitution_model::{ConstitutionDoc, Kind};
use super::popups::InputPurpose;
use super::{move_selection, Command};
use crate::constitution::Constitution;
use crate::data::Diagnostic;
use crate::data::Prompt;
use crate::pipeline::PipelineEvent;
use crate::tui::keymap::Action;
use crate::tui::live_text::LiveText;
use crate::tui::widgets::stream::live_pieces;
use crate::tui::widgets::toml_highlight::TomlView;
use crate::tui::widgets::wrap::wrap_spans;

/// Output of trying one principle on one prompt.
pub struct TryOutput {
    pub title: String,
    pub live: LiveText,
    /// How the try ended ("done", "failed", "cancelled"), once it has.
    pub ended: Option<&'static str>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// State of the constitution editor.
pub struct ConstitutionView {
    pub doc: ConstitutionDoc,
    pub selected: usize,
    offset: usize,
    editor: Option<TextArea<'static>>,
    editor_problems: Vec<Diagnostic>,
    toml_scroll: u16,
    toml: TomlView,
    pub try_output: Option<TryOutput>,
}

impl ConstitutionView {
    /// The editor over a file's text.
    pub fn new(path: PathBuf, text: String) -> ConstitutionView {
        ConstitutionView {
            doc: ConstitutionDoc::from_text(path, &text),
            selected: 0,
            offset: 0,
            editor: None,
            editor_problems: Vec::new(),
            toml_scroll: 0,
            toml: TomlView::default(),
            try_output: None,
        }
    }

    /// A principle is open in the text editor.
    pub fn is_editing(&self) -> bool {
        self.editor.is_some()
    }

    /// Unsaved changes.
    pub fn is_modified(&self) -> bool {
        self.doc.is_modified()
    }

    /// The working constitution if it is valid, else why not.
    pub fn valid_constitution(&self) -> Result<Constitution, String> {
        if let Some(reason) = self.doc.read_only_reason() {
            return Err(reason);
        }
        match self.doc.problems.first() {
            None => Ok(self.doc.working.clone()),
            Some(p) => Err(format!(
                "the constitution has problems (first: {p}); fix them in view 1"
            )),
        }
    }

    /// The text of the working constitution (what a session records as its snapshot).
    pub fn text(&self) -> &str {
        &self.doc.text
    }

    /// Selects a list row.
    pub fn select(&mut self, row: usize) {
        if !self.is_editing() && row < self.doc.len() {
            self.selected = row;
        }
    }

    /// Asks to save under a new path (refused while the file would be invalid).
    pub fn save_as(&mut self, path: PathBuf) -> Command {
        match self.doc.save_request(path) {
            Ok((path, text)) => Command::Save(path, text),
            Err(message) => Command::Notice(message),
        }
    }

    /// The file is on disk: `text` was written to `path`. Returns the status line.
    pub fn saved(&mut self, path: PathBuf, text: &str) -> String {
        self.doc.saved(path, text)
    }

    /// Passes a key to the open text editor and applies the edit if it parses.
    pub fn edit_key(&mut self, key: KeyEvent) {
        let changed = self.editor.as_mut().is_some_and(|e| e.input(key));
        self.apply_editor(changed);
    }

    /// Inserts pasted text into the open editor and applies the edit once.
    pub fn paste(&mut self, text: &str) {
        let changed = self
            .editor
            .as_mut()
            .is_some_and(|e| e.insert_str(text.replace("\r\n", "\n")));
        self.apply_editor(changed);
    }

    /// After a change in the editor: the fragment replaces the principle if it parses.
    fn apply_editor(&mut self, changed: bool) {
        let Some(editor) = self.editor.as_ref().filter(|_| changed) else {
            return;
        };
        let snippet = editor.lines().join("\n");
        self.editor_problems = self
            .doc
            .apply_snippet(self.selected, &snippet)
            .err()
            .unwrap_or_default();
    }

    /// Begins showing the output of a try.
    pub fn try_started(&mut self, principle_id: &str, prompt: &Prompt) {
        let short: String = prompt.text.chars().take(40).collect();
        self.try_output = Some(TryOutput {
            title: format!("try `{principle_id}` on \"{short}\""),
            live: LiveText::default(),
            ended: None,
            error: None,
        });
    }

    /// Folds in an event of the running try.
    pub fn apply_try(&mut self, event: PipelineEvent) {
        let Some(out) = &mut self.try_output else {
            return;
        };
        match event {
            PipelineEvent::StageStarted { stage, .. } => out.live.start(stage),
            PipelineEvent::Token { stage, text, .. } => out.live.push_token(stage, &text),
            PipelineEvent::StageFinished { stage, text, .. } => out.live.finish(stage, &text),
            _ => {}
        }
    }

    /// The try ended (see [`crate::tui::bridge::start_try`]).
    pub fn try_ended(&mut self, result: &Result<crate::tui::bridge::TryEnd, String>) {
        let Some(out) = &mut self.try_output else {
            return;
        };
        out.ended = Some(match result {
            Ok(crate::tui::bridge::TryEnd::Done) => "done",
            Ok(crate::tui::bridge::TryEnd::Cancelled) => "cancelled",
            Err(_) => "failed",
        });
        out.error = result.as_ref().err().cloned();
    }

    /// Handles an action of the editor's key map.
    pub fn on_action(&mut self, action: Action) -> Command {
        let len = self.doc.len();
        let changes = matches!(
            action,
            Action::Edit
                | Action::Add
                | Action::Duplicate
                | Action::Delete
                | Action::ToggleEnabled
                | Action::MoveUp
                | Action::MoveDown
                | Action::Save
        );
        if let Some(reason) = self.doc.read_only_reason().filter(|_| changes) {
            return Command::Notice(reason);
        }
        match action {
            Action::Back => {
                self.editor = None;
                if !self.editor_problems.is_empty() {
                    self.editor_problems.clear();
                    return Command::Notice(
                        "the fragment had errors; the last valid version is kept".into(),
                    );
                }
            }
            Action::Save => return self.save_as(self.doc.path.clone()),
            Action::SaveAs => {
                return Command::Input(InputPurpose::SaveAs, self.doc.path.display().to_string())
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                self.selected = move_selection(self.selected, len, action, 10);
            }
            Action::PageUp => self.toml_scroll = self.toml_scroll.saturating_sub(10),
            Action::PageDown => self.toml_scroll = self.toml_scroll.saturating_add(10),
            Action::Edit if len > 0 => {
                let mut editor = TextArea::new(
                    self.doc
                        .snippet(self.selected)
                        .lines()
                        .map(str::to_string)
                        .collect(),
                );
                editor.set_wrap_mode(WrapMode::Word);
                editor.set_cursor_line_style(Style::default());
                self.editor = Some(editor);
                self.editor_problems.clear();
            }
            Action::Add => self.selected = self.doc.add(self.selected),
            Action::Duplicate if len > 0 => self.selected = self.doc.duplicate(self.selected),
            Action::Delete if len > 0 => self.selected = self.doc.delete(self.selected),
            Action::ToggleEnabled => self.doc.toggle(self.selected),
            Action::MoveUp => self.selected = self.doc.shift(self.selected, true),
            Action::MoveDown => self.selected = self.doc.shift(self.selected, false),
            Action::Cancel => return Command::CancelTry,
            Action::TryPrinciple => match self.doc.summary(self.selected) {
                Some((Kind::Critique, id, _)) => return Command::Try(id.to_string()),
                Some((Kind::Comparison, ..)) => {
                    return Command::Notice("only critique/revision principles can be tried".into())
                }
                None => {}
            },
            _ => {}
        }
        Command::None
    }

    /// Draws the editor; returns the list area and its first row for mouse clicks.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect) -> (Rect, usize) {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(30), Constraint::Percentage(70)])
                .areas(area);
        let list_area = self.draw_list(frame, left);
        let problems = self.problem_lines();
        let editor_height = (area.height * 2 / 5).max(5);
        let [editor_area, problems_area, lower] = Layout::vertical([
            Constraint::Length(editor_height),
            Constraint::Length(problems.len().min(4) as u16),
            Constraint::Min(3),
        ])
        .areas(right);
        self.draw_editor(frame, editor_area);
        frame.render_widget(Paragraph::new(problems), problems_area);
        match &self.try_output {
            Some(_) => {
                let [toml_area, try_area] =
                    Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)])
                        .areas(lower);
                self.draw_toml(frame, toml_area);
                self.draw_try(frame, try_area);
            }
            None => self.draw_toml(frame, lower),
        }
        list_area
    }

    fn draw_list(&mut self, frame: &mut Frame, area: Rect) -> (Rect, usize) {
        let items: Vec<ListItem> = (0..self.doc.len())
            .filter_map(|row| self.doc.summary(row))
            .map(|(kind, id, enabled)| {
                let tag = match kind {
                    Kind::Critique => Span::styled("C ", Style::default().fg(Color::Cyan)),
                    Kind::Comparison => Span::styled("F ", Style::default().fg(Color::Magenta)),
                };
                let check = if enabled { "[x] " } else { "[ ] " };
                let style = if enabled {
                    Style::default()
                } else {
                    Style::default().fg(Color::DarkGray)
                };
                ListItem::new(Line::from(vec![
                    tag,
                    Span::raw(check),
                    Span::styled(id.to_string(), style),
                ]))
            })
            .collect();
        let modified = if self.doc.is_modified() { " [+]" } else { "" };
        let name = self
            .doc
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {name}{modified} "));
        let inner = block.inner(area);
        let mut state = ListState::default()
            .with_offset(self.offset)
            .with_selected(Some(self.selected));
        frame.render_stateful_widget(
            List::new(items)
                .block(block)
                .highlight_style(Style::default().add_modifier(Modifier::REVERSED)),
            area,
            &mut state,
        );
        self.offset = state.offset();
        (inner, self.offset)
    }

    fn draw_editor(&mut self, frame: &mut Frame, area: Rect) {
        let title = match self.doc.summary(self.selected) {
            Some((Kind::Critique, id, _)) => format!(" critique/revision principle `{id}` "),
            Some((Kind::Comparison, id, _)) => format!(" comparison principle `{id}` "),
            None => " no principles yet: press a to add one ".into(),
        };
        match &mut self.editor {
            Some(editor) => {
                editor.set_block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(format!("{title}(editing) "))
                        .border_style(Style::default().fg(Color::Yellow)),
                );
                frame.render_widget(&*editor, area);
            }
            None => {
                let text = self.doc.snippet(self.selected);
                frame.render_widget(
                    Paragraph::new(text)
                        .wrap(Wrap { trim: false })
                        .block(Block::default().borders(Borders::ALL).title(title)),
                    area,
                );
            }
        }
    }

    fn problem_lines(&self) -> Vec<Line<'static>> {
        let red = Style::default().fg(Color::Red);
        let mut lines: Vec<Line<'static>> = Vec::new();
        for p in &self.editor_problems {
            lines.push(Line::styled(format!("fragment {p}"), red));
        }
        for p in &self.doc.load_problems {
            lines.push(Line::styled(
                format!("{} (as loaded) {p}", self.doc.path.display()),
                red,
            ));
        }
        for p in &self.doc.problems {
            lines.push(Line::styled(format!("file {p}"), red));
        }
        lines
    }

    fn draw_toml(&mut self, frame: &mut Frame, area: Rect) {
        let status = if self.doc.problems.is_empty() {
            "valid"
        } else {
            "INVALID"
        };
        let lines = self.toml.lines(&self.doc.text);
        let max_scroll = (lines.len() as u16).saturating_sub(area.height.saturating_sub(2));
        self.toml_scroll = self.toml_scroll.min(max_scroll);
        let start = usize::from(self.toml_scroll);
        let visible: Vec<Line> = lines
            .iter()
            .skip(start)
            .take(usize::from(area.height))
            .cloned()
            .collect();
        frame.render_widget(
            Paragraph::new(visible).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" file as TOML ({status}) ")),
            ),
            area,
        );
    }

    fn draw_try(&self, frame: &mut Frame, area: Rect) {
        let Some(out) = &self.try_output else { return };
        let state = match out.ended {
            Some(ended) => ended.to_string(),
            None => "running · Esc cancels".to_string(),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {} · {state} ", out.title));
        let inner = block.inner(area);
        let mut pieces = live_pieces(&out.live);
        if let Some(error) = &out.error {
            pieces.push((
                format!("failed: {error}\n"),
                ratatui::style::Style::default().fg(ratatui::style::Color::Red),
            ));
        }
        let lines = wrap_spans(&pieces, inner.width);
        let skip = lines.len().saturating_sub(usize::from(inner.height));
        frame.render_widget(Paragraph::new(lines[skip..].to_vec()).block(block), area);
    }
}
