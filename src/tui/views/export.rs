//! The export dialog: which files (SFT, preferences, revision pairs), where, whether to
//! overwrite; the row counts before anything is written, and the paths written after.

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::popups::{centered, InputPurpose};
use super::prompts::plural;
use super::Command;
use crate::tui::bridge::{self, ExportChoice, ExportCounts, SessionLink};
use crate::tui::keymap::Action;
use crate::tui::workspace::Workspace;

/// The dialog's state.
pub struct ExportDialog {
    pub choice: ExportChoice,
    /// What would be written (or why it cannot be counted).
    pub plan: Result<ExportCounts, String>,
    /// What was written, once the user confirmed.
    pub result: Option<Result<ExportCounts, String>>,
    pub closed: bool,
}

impl ExportDialog {
    /// A dialog with the default choice: SFT and preferences into `<session>/export`.
    pub fn new(session: &SessionLink, _ws: &Workspace) -> ExportDialog {
        let out = session
            .dir
            .as_ref()
            .map(|d| d.join("export"))
            .unwrap_or_else(|| PathBuf::from("export"));
        let choice = ExportChoice {
            out,
            force: false,
            sft: true,
            preferences: true,
            revision_pairs: false,
        };
        let plan = bridge::export_plan(session, &choice);
        ExportDialog {
            choice,
            plan,
            result: None,
            closed: false,
        }
    }

    /// Changes the destination and recounts.
    pub fn set_destination(&mut self, session: &SessionLink, out: PathBuf) {
        self.choice.out = out;
        self.plan = bridge::export_plan(session, &self.choice);
        self.result = None;
    }

    /// Records the outcome of the export.
    pub fn finished(&mut self, result: Result<ExportCounts, String>) {
        self.result = Some(result);
    }

    /// Handles an action of the export key map.
    pub fn on_action(&mut self, action: Option<Action>, _ws: &Workspace) -> Command {
        let Some(action) = action else {
            return Command::None;
        };
        match action {
            Action::ToggleSft => self.choice.sft = !self.choice.sft,
            Action::TogglePreferences => self.choice.preferences = !self.choice.preferences,
            Action::ToggleRevisionPairs => self.choice.revision_pairs = !self.choice.revision_pairs,
            Action::ToggleForce => self.choice.force = !self.choice.force,
            Action::EditDestination => {
                return Command::Input(
                    InputPurpose::ExportDestination,
                    self.choice.out.display().to_string(),
                )
            }
            Action::Confirm => {
                if !(self.choice.sft || self.choice.preferences || self.choice.revision_pairs) {
                    return Command::Notice("choose at least one file to export".into());
                }
                return Command::Export(self.choice.clone());
            }
            Action::Back => self.closed = true,
            _ => {}
        }
        self.result = None;
        Command::None
    }

    /// Draws the dialog.
    pub fn draw(&self, frame: &mut Frame, area: Rect, _ws: &Workspace) {
        let popup = centered(area, 72, 20);
        frame.render_widget(Clear, popup);
        let check = |on: bool| if on { "[x]" } else { "[ ]" };
        let plan = self.plan.as_ref().ok();
        let count =
            |rows: Option<usize>| rows.map_or_else(|| "-".to_string(), |n| plural(n, "row"));
        let choices = [
            (
                self.choice.sft,
                's',
                "SFT (prompt, final revision)",
                plan.map(|c| c.sft),
            ),
            (
                self.choice.preferences,
                'p',
                "preferences (chosen, rejected)",
                plan.map(|c| c.preferences),
            ),
            (
                self.choice.revision_pairs,
                'v',
                "revision pairs (every round)",
                plan.map(|c| c.revision_pairs),
            ),
        ];
        let mut lines: Vec<Line> = choices
            .into_iter()
            .map(|(on, key, what, rows)| {
                Line::from(format!("{} {key}  {what:<34} {}", check(on), count(rows)))
            })
            .collect();
        lines.extend([
            Line::from(format!(
                "{} f  overwrite existing files",
                check(self.choice.force)
            )),
            Line::default(),
            Line::from(vec![
                Span::raw("o  destination: "),
                Span::styled(
                    self.choice.out.display().to_string(),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
            ]),
            Line::default(),
        ]);
        match &self.plan {
            Ok(c) if !c.existing.is_empty() && !self.choice.force => lines.push(Line::styled(
                format!(
                    "{} file(s) exist already: press f to overwrite",
                    c.existing.len()
                ),
                Style::default().fg(Color::Yellow),
            )),
            Ok(c) => {
                lines.push(Line::from(format!(
                    "{} approved; {} left out",
                    plural(c.approved, "record"),
                    c.skipped
                )));
                let note = Style::default().fg(Color::Yellow);
                lines.extend(c.notes.iter().map(|n| Line::styled(n.clone(), note)));
            }
            Err(e) => lines.push(Line::styled(
                format!("cannot count: {e}"),
                Style::default().fg(Color::Red),
            )),
        }
        match &self.result {
            Some(Ok(written)) => {
                lines.push(Line::styled("written:", Style::default().fg(Color::Green)));
                for file in &written.files {
                    lines.push(Line::from(format!("  {}", file.display())));
                }
            }
            Some(Err(e)) => lines.push(Line::styled(
                format!("export failed: {e}"),
                Style::default().fg(Color::Red),
            )),
            None => lines.push(Line::from("Enter writes the files; Esc closes.")),
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::default().borders(Borders::ALL).title(" Export ")),
            popup,
        );
    }
}
