//! View 4, the comparison: the two responses side by side, each comparison principle's P(A) as
//! a bar with its chain-of-thought text when present, the combined soft label, and the
//! reviewer's agree or flip.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::inspector::step_record;
use super::{Command, ViewId};
use crate::data::{Choice, Comparison};
use crate::session::{reviewed_label, Label, Review};
use crate::tui::keymap::Action;
use crate::tui::widgets::prob_bar::prob_bar;
use crate::tui::widgets::wrap::{draw_lines, wrap_text, WrapCache};
use crate::tui::workspace::{now_rfc3339, pending_review, Workspace};

/// State of the comparison view.
#[derive(Default)]
pub struct ComparisonView {
    pub scroll: usize,
    cache: WrapCache,
}

impl ComparisonView {
    /// Handles an action of the comparison key map.
    pub fn on_action(&mut self, action: Action, ws: &mut Workspace) -> Command {
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll += 1,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::PageDown => self.scroll += 10,
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = usize::MAX / 2,
            Action::NextRecord | Action::PrevRecord => {
                step_record(ws, action == Action::NextRecord);
                self.scroll = 0;
            }
            Action::Agree | Action::Flip => {
                let Some(id) = ws.current.clone() else {
                    return Command::None;
                };
                if ws.record(&id).and_then(|r| r.comparison.as_ref()).is_none() {
                    return Command::Notice("this record has no comparison".into());
                }
                let mut review: Review = ws.review(&id).cloned().unwrap_or_else(pending_review);
                review.flipped = action == Action::Flip;
                review.label_checked = true;
                review.at = now_rfc3339();
                return Command::Review(id, review);
            }
            Action::StartBlind => return Command::OpenBlind,
            Action::Back => return Command::Show(ViewId::Inspector, None),
            _ => {}
        }
        Command::None
    }

    /// Draws the current record's comparison.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ws: &Workspace) {
        let current = ws.current.as_ref().and_then(|id| ws.record(id));
        let Some((record, comparison)) =
            current.and_then(|r| r.comparison.as_ref().map(|c| (r, c)))
        else {
            frame.render_widget(
                Paragraph::new("No comparison for this record. Comparisons come from runs with the feedback stage on.")
                    .block(Block::default().borders(Borders::ALL).title(" Comparison ")),
                area,
            );
            return;
        };
        let label = reviewed_label(comparison, ws.review(&record.prompt.id));
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        let key = format!("{}:{}", record.prompt.id, ws.version);
        self.draw_side(
            frame,
            left,
            &format!("{key}:a"),
            &format!(" A: {} ", comparison.a_source),
            &comparison.a,
            comparison.choice == Choice::A,
        );
        self.draw_side(
            frame,
            right,
            &format!("{key}:b"),
            &format!(" B: {} ", comparison.b_source),
            &comparison.b,
            comparison.choice == Choice::B,
        );
        self.draw_verdicts(frame, bottom, comparison, label);
    }

    fn draw_side(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        key: &str,
        title: &str,
        text: &str,
        chosen: bool,
    ) {
        let border = if chosen {
            Style::default().fg(Color::Green)
        } else {
            Style::default()
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(title.to_string())
            .border_style(border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let lines = self.cache.get_or_build(key, inner.width, || {
            wrap_text(text, Style::default(), inner.width)
        });
        draw_lines(frame, lines, 0, inner);
    }

    fn draw_verdicts(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        comparison: &Comparison,
        label: Label,
    ) {
        let flipped = label.flipped;
        let label = match label.chosen {
            Choice::A => "A",
            Choice::B => "B",
        };
        let title = format!(
            " Feedback: P(A) = {:.2} → label {label}{} ",
            comparison.p_a,
            if flipped {
                " (flipped by reviewer)"
            } else {
                ""
            }
        );
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let bar_width = inner.width.saturating_sub(12).min(40);
        let mut lines: Vec<Line<'static>> = Vec::new();
        for verdict in &comparison.verdicts {
            let orders = match verdict.p_a_swapped {
                Some(swapped) => format!(
                    "  (A first {:.2}, swapped {:.2})",
                    verdict.p_a_forward, swapped
                ),
                None => String::new(),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    verdict.principle_id.clone(),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::styled(orders, Style::default().fg(Color::DarkGray)),
            ]));
            lines.extend(wrap_text(
                &verdict.question,
                Style::default().fg(Color::Gray),
                inner.width,
            ));
            lines.push(prob_bar(verdict.p_a, bar_width));
            if let Some(reasoning) = &verdict.reasoning {
                lines.extend(wrap_text(
                    &format!("reasoning: {reasoning}"),
                    Style::default().add_modifier(Modifier::ITALIC),
                    inner.width,
                ));
            }
        }
        lines.push(Line::from(Span::styled(
            "combined",
            Style::default().add_modifier(Modifier::BOLD),
        )));
        lines.push(prob_bar(comparison.p_a, bar_width));
        self.scroll = self
            .scroll
            .min(lines.len().saturating_sub(usize::from(inner.height)));
        draw_lines(frame, &lines, self.scroll, inner);
    }
}
