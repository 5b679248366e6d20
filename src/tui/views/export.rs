//! The export dialog: which files (SFT, preferences, revision pairs), where, whether to
//! overwrite; the row counts before anything is written, and the paths written after. Its
//! state is the core's [`ExportOptions`]; the counts are the core's [`ExportSummary`],
//! recounted on the disk worker after every change, and a choice the core would refuse is
//! refused here with the core's own reason.

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::popups::{centered, InputPurpose};
use super::prompts::plural;
use super::Command;
use crate::export::{ExportOptions, ExportSummary};
use crate::tui::keymap::Action;
use crate::tui::workspace::Workspace;

/// The dialog's state.
pub struct ExportDialog {
    pub options: ExportOptions,
    /// What would be written, once counted for the current options (`None` while counting),
    /// or why it cannot be counted.
    pub plan: Option<Result<ExportSummary, String>>,
    /// What was written, once the user confirmed.
    pub result: Option<Result<ExportSummary, String>>,
    pub closed: bool,
}

impl ExportDialog {
    /// A dialog with the default choice: SFT and preferences into `out`. The command asks for
    /// its counts.
    pub fn new(out: PathBuf) -> (ExportDialog, Command) {
        let options = ExportOptions {
            out,
            force: false,
            sft: true,
            preferences: true,
            revision_pairs: false,
            ..ExportOptions::default()
        };
        let dialog = ExportDialog {
            options,
            plan: None,
            result: None,
            closed: false,
        };
        let count = dialog.recount();
        (dialog, count)
    }

    /// Asks for the counts of the current options.
    fn recount(&self) -> Command {
        Command::PlanExport(Box::new(self.options.clone()))
    }

    /// Changes the destination; the command asks for new counts.
    pub fn set_destination(&mut self, out: PathBuf) -> Command {
        self.options.out = out;
        self.result = None;
        self.plan = None;
        self.recount()
    }

    /// Takes the counts of the options it was asked for (older ones are superseded by the
    /// newer request queued behind them).
    pub fn planned(&mut self, plan: Result<ExportSummary, String>) {
        self.plan = Some(plan);
    }

    /// Records the outcome of the export.
    pub fn finished(&mut self, result: Result<ExportSummary, String>) {
        self.result = Some(result);
    }

    /// Handles an action of the export key map.
    pub fn on_action(&mut self, action: Option<Action>, _ws: &Workspace) -> Command {
        let Some(action) = action else {
            return Command::None;
        };
        let o = &mut self.options;
        match action {
            Action::ToggleSft => o.sft = !o.sft,
            Action::TogglePreferences => o.preferences = !o.preferences,
            Action::ToggleRevisionPairs => o.revision_pairs = !o.revision_pairs,
            Action::ToggleForce => o.force = !o.force,
            Action::EditDestination => {
                return Command::Input(InputPurpose::ExportDestination, o.out.display().to_string())
            }
            Action::Confirm => {
                return match o.check() {
                    Ok(()) => Command::Export(Box::new(o.clone())),
                    Err(why) => Command::Notice(first_line(&why.to_string())),
                };
            }
            Action::Back => {
                self.closed = true;
                return Command::None;
            }
            _ => return Command::None,
        }
        self.result = None;
        self.plan = None;
        self.recount()
    }

    /// Draws the dialog.
    pub fn draw(&self, frame: &mut Frame, area: Rect, _ws: &Workspace) {
        let popup = centered(area, 72, 20);
        frame.render_widget(Clear, popup);
        let check = |on: bool| if on { "[x]" } else { "[ ]" };
        let plan = self.plan.as_ref().and_then(|p| p.as_ref().ok());
        let count =
            |rows: Option<usize>| rows.map_or_else(|| "-".to_string(), |n| plural(n, "row"));
        let choices = [
            (
                self.options.sft,
                's',
                "SFT (prompt, final revision)",
                plan.map(|c| c.sft_lines),
            ),
            (
                self.options.preferences,
                'p',
                "preferences (chosen, rejected)",
                plan.map(|c| c.ai_feedback_pairs),
            ),
            (
                self.options.revision_pairs,
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
                check(self.options.force)
            )),
            Line::default(),
            Line::from(vec![
                Span::raw("o  destination: "),
                Span::styled(
                    self.options.out.display().to_string(),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
            ]),
            Line::default(),
        ]);
        if let Err(why) = self.options.check() {
            lines.push(Line::styled(
                first_line(&why.to_string()),
                Style::default().fg(Color::Yellow),
            ));
        }
        match &self.plan {
            None => lines.push(Line::styled(
                "counting…",
                Style::default().fg(Color::DarkGray),
            )),
            Some(Ok(c)) if !c.existing.is_empty() && !self.options.force => {
                lines.push(Line::styled(
                    format!(
                        "{} file(s) exist already: press f to overwrite",
                        c.existing.len()
                    ),
                    Style::default().fg(Color::Yellow),
                ))
            }
            Some(Ok(c)) => {
                lines.push(Line::from(format!(
                    "{} approved; {} left out",
                    plural(c.approved, "record"),
                    c.skipped.len()
                )));
                let note = Style::default().fg(Color::Yellow);
                lines.extend(c.notes.iter().map(|n| Line::styled(first_line(n), note)));
            }
            Some(Err(e)) => lines.push(Line::styled(
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

/// The first line of a message (the fix lines are for the command line).
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}
