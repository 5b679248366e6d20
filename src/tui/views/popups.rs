//! Popups drawn over the views: key help (generated from the key map), yes/no confirmations,
//! text inputs (one line or several), the export dialog and the model picker. The top popup
//! takes the keys.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use ratatui_textarea::TextArea;

use super::blind::BlindJudge;
use super::export::ExportDialog;
use super::model_picker::ModelPicker;
use super::Command;
use crate::tui::keymap::{self, Action, KeyContext};
use crate::tui::workspace::Workspace;

/// What a text input is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPurpose {
    NewPrompt,
    ImportPath,
    SaveAs,
    Search,
    /// The text to export for a record, edited in review.
    EditReview(String),
    ExportDestination,
    /// Constitution B of an A/B run started from the Insights view.
    AbConstitution,
}

impl InputPurpose {
    fn title(&self) -> &'static str {
        match self {
            InputPurpose::NewPrompt => "New prompt",
            InputPurpose::ImportPath => "Import prompts from file (JSONL, text, CSV)",
            InputPurpose::SaveAs => "Save constitution as",
            InputPurpose::Search => "Search",
            InputPurpose::EditReview(_) => "Edit the response to export (original kept)",
            InputPurpose::ExportDestination => "Export destination folder",
            InputPurpose::AbConstitution => "A/B against constitution (a file beside this one)",
        }
    }

    fn multi_line(&self) -> bool {
        matches!(self, InputPurpose::EditReview(_))
    }
}

/// A confirmation question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    QuitWhileRunning,
    QuitUnsaved,
}

/// A text input popup.
pub struct InputPopup {
    pub purpose: InputPurpose,
    pub editor: TextArea<'static>,
    closed: bool,
}

/// One popup.
pub enum Popup {
    Help {
        ctx: KeyContext,
        scroll: u16,
        closed: bool,
    },
    Confirm(ConfirmKind),
    ConfirmClosed,
    Input(Box<InputPopup>),
    Export(Box<ExportDialog>),
    Models(Box<ModelPicker>),
    Blind(Box<BlindJudge>),
}

impl Popup {
    /// Help for a context.
    pub fn help(ctx: KeyContext) -> Popup {
        Popup::Help {
            ctx,
            scroll: 0,
            closed: false,
        }
    }

    /// A text input with some initial text.
    pub fn input(purpose: InputPurpose, initial: &str) -> Popup {
        let lines: Vec<String> = if initial.is_empty() {
            vec![String::new()]
        } else {
            initial.lines().map(str::to_string).collect()
        };
        let mut editor = TextArea::new(lines);
        editor.move_cursor(ratatui_textarea::CursorMove::Bottom);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        editor.set_cursor_line_style(Style::default());
        Popup::Input(Box::new(InputPopup {
            purpose,
            editor,
            closed: false,
        }))
    }

    /// The key context of the popup.
    pub fn key_context(&self) -> KeyContext {
        match self {
            Popup::Help { .. } => KeyContext::Help,
            Popup::Confirm(_) | Popup::ConfirmClosed => KeyContext::Confirm,
            Popup::Input(input) if input.purpose.multi_line() => KeyContext::MultiLineInput,
            Popup::Input(_) => KeyContext::TextInput,
            Popup::Export(_) => KeyContext::Export,
            Popup::Models(_) => KeyContext::ModelPicker,
            Popup::Blind(_) => KeyContext::Blind,
        }
    }

    /// Whether the popup is done and should be removed.
    pub fn closed(&self) -> bool {
        match self {
            Popup::Help { closed, .. } => *closed,
            Popup::ConfirmClosed => true,
            Popup::Confirm(_) => false,
            Popup::Input(input) => input.closed,
            Popup::Export(dialog) => dialog.closed,
            Popup::Models(picker) => picker.closed,
            Popup::Blind(judge) => judge.closed,
        }
    }

    /// Handles a key; may ask the app for something.
    pub fn handle_key(&mut self, key: KeyEvent, ws: &Workspace) -> Command {
        let ctx = self.key_context();
        let action = keymap::lookup(ctx, &key);
        match self {
            Popup::Help { scroll, closed, .. } => match action {
                Some(Action::Back) => *closed = true,
                Some(Action::Down) => *scroll = scroll.saturating_add(1),
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                _ => {}
            },
            Popup::Confirm(_) => match action {
                Some(Action::Yes) => {
                    *self = Popup::ConfirmClosed;
                    return Command::Quit;
                }
                Some(Action::No) => *self = Popup::ConfirmClosed,
                _ => {}
            },
            Popup::ConfirmClosed => {}
            Popup::Input(input) => match action {
                Some(Action::Confirm) => {
                    input.closed = true;
                    return Command::InputDone(
                        input.purpose.clone(),
                        input.editor.lines().join("\n"),
                    );
                }
                Some(Action::Back) => input.closed = true,
                Some(Action::ClearToStart) => {
                    input.editor.delete_line_by_head();
                }
                _ => {
                    input.editor.input(key);
                }
            },
            Popup::Export(dialog) => return dialog.on_action(action, ws),
            Popup::Models(picker) => return picker.on_action(action),
            Popup::Blind(judge) => return judge.on_action(action),
        }
        Command::None
    }

    /// Draws the popup centred in `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ws: &Workspace) {
        match self {
            Popup::Help { ctx, scroll, .. } => {
                let lines = keymap::help_lines(*ctx);
                let popup = centered(area, 70, (lines.len() as u16 + 2).min(area.height));
                frame.render_widget(Clear, popup);
                frame.render_widget(
                    Paragraph::new(lines).scroll((*scroll, 0)).block(
                        Block::default()
                            .borders(Borders::ALL)
                            .title(" Keys (Esc closes) "),
                    ),
                    popup,
                );
            }
            Popup::Confirm(kind) => {
                let text = match kind {
                    ConfirmKind::QuitWhileRunning => {
                        "Prompts are still running. Quit and cancel them? Finished records are saved. (y/n)"
                    }
                    ConfirmKind::QuitUnsaved => "The constitution has unsaved changes. Quit without saving? (y/n)",
                };
                let popup = centered(area, 50, 5);
                frame.render_widget(Clear, popup);
                frame.render_widget(
                    Paragraph::new(text).wrap(Wrap { trim: true }).block(
                        Block::default()
                            .borders(Borders::ALL)
                            .title(" Confirm ")
                            .border_style(Style::default().fg(Color::Yellow)),
                    ),
                    popup,
                );
            }
            Popup::ConfirmClosed => {}
            Popup::Input(input) => {
                let height = if input.purpose.multi_line() {
                    area.height.saturating_sub(4).max(5)
                } else {
                    3
                };
                let popup = centered(area, area.width.saturating_sub(8).min(100), height);
                frame.render_widget(Clear, popup);
                input.editor.set_block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(format!(" {} ", input.purpose.title()))
                        .title_bottom(Line::from(if input.purpose.multi_line() {
                            " ^S accept · Esc cancel "
                        } else {
                            " Enter accept · Esc cancel "
                        })),
                );
                frame.render_widget(&input.editor, popup);
            }
            Popup::Export(dialog) => dialog.draw(frame, area, ws),
            Popup::Models(picker) => picker.draw(frame, area),
            Popup::Blind(judge) => judge.draw(frame, area),
        }
    }
}

/// A rectangle of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}
