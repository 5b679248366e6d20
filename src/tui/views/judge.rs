//! View 7, the judge: how far the feedback model's labels can be trusted, from the latest
//! `cai eval` under the sessions folder. Per configuration and per comparison principle, the
//! accuracy on known answers as a bar with its 95% interval and the chance level marked; the
//! reliability diagram of one configuration (ratatui's `Chart`: observed frequency against
//! mean P per bin, with intervals, and the diagonal a calibrated judge lies on); the
//! calibration fit, if one was made. `B` starts blind judging of the open session's pairs.

use std::path::PathBuf;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap};
use ratatui::Frame;

use super::Command;
use crate::eval::report::Row;
use crate::eval::SavedEval;
use crate::tui::keymap::Action;

/// The view's state.
#[derive(Default)]
pub struct JudgeView {
    /// The eval shown, with its directory.
    pub eval: Option<(PathBuf, SavedEval)>,
    /// Why none is shown, when reading failed.
    pub status: Option<String>,
    /// The set and configuration the reliability diagram is of.
    pub set: usize,
    pub config: usize,
}

impl JudgeView {
    /// Handles an action of the view's key map.
    pub fn on_action(&mut self, action: Action) -> Command {
        let sets = self.eval.as_ref().map_or(0, |(_, e)| e.report.sets.len());
        match action {
            Action::CycleMetric => {
                let configs = self
                    .eval
                    .as_ref()
                    .and_then(|(_, e)| e.report.sets.get(self.set))
                    .map_or(0, |s| s.configs.len());
                self.config = (self.config + 1) % configs.max(1);
            }
            Action::NextRecord => {
                self.set = (self.set + 1) % sets.max(1);
                self.config = 0;
            }
            Action::StartBlind => return Command::OpenBlind,
            _ => {}
        }
        Command::None
    }

    /// Draws the view.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect) {
        let Some((dir, saved)) = &self.eval else {
            let text = self.status.clone().unwrap_or_else(|| {
                "No judge eval yet. Measure the feedback model on known answers with\n\n  \
                 cai eval --set FILE.jsonl [--config single --config ensemble ...] [--fit]\n\n\
                 (the CAI paper's evals/*.jsonl, preference pairs, or --session DIR for your own \
                 blind picks); the latest one under sessions/ shows here. B judges this \
                 session's pairs blind."
                    .into()
            });
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(Block::default().borders(Borders::ALL).title(" Judge ")),
                area,
            );
            return;
        };
        let Some(set) = saved.report.sets.get(self.set) else {
            return;
        };
        let title = format!(
            " Judge: {} on {} ({} questions, {}) · {} ",
            saved.eval.feedback_model.id,
            set.set,
            set.questions,
            set.asked,
            dir.display()
        );
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(inner);
        let mut lines = vec![Line::styled(
            "Accuracy on known answers, 95% interval (─), chance (┊):",
            Style::default().add_modifier(Modifier::BOLD),
        )];
        let name_width = set
            .configs
            .iter()
            .chain(&set.principles)
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(8)
            .min(22);
        let bar = usize::from(left.width)
            .saturating_sub(name_width + 30)
            .clamp(10, 40);
        for (i, row) in set.configs.iter().enumerate() {
            lines.push(accuracy_line(row, name_width, bar, i == self.config));
        }
        if !set.principles.is_empty() {
            lines.push(Line::default());
            lines.push(Line::styled(
                "Per comparison principle (direct questions):",
                Style::default().add_modifier(Modifier::BOLD),
            ));
            for row in &set.principles {
                lines.push(accuracy_line(row, name_width, bar, false));
            }
        }
        lines.push(Line::default());
        if let Some(row) = set.configs.get(self.config) {
            lines.push(Line::from(format!(
                "{}: order consistency {}, first option chosen {}, Brier {}, ECE {} (10 bins)",
                row.name,
                row.order_consistency.map_or("-".into(), |p| p.show()),
                row.first_chosen.map_or("-".into(), |p| p.show()),
                row.brier.map_or("-".into(), |b| format!("{b:.3}")),
                row.ece.map_or("-".into(), |e| format!("{e:.3}")),
            )));
        }
        if let Some(fit) = &saved.fit {
            lines.push(Line::styled(
                fit.summary(),
                Style::default().fg(Color::Yellow),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), left);
        if let Some(row) = set.configs.get(self.config) {
            reliability_diagram(frame, right, row);
        }
    }
}

/// `name  ████░░░──┊──  0.523 [0.476, 0.569] n 438`.
fn accuracy_line(row: &Row, name_width: usize, width: usize, selected: bool) -> Line<'static> {
    let name: String = row.name.chars().take(name_width).collect();
    let rate = row.accuracy.rate().unwrap_or(0.0);
    let (lo, hi) = row.interval.unwrap_or((rate, rate));
    let cell = |x: f64| ((x * width as f64).round() as usize).min(width);
    let (filled, lo, hi, chance) = (cell(rate), cell(lo), cell(hi), cell(row.chance));
    let mut spans = vec![Span::styled(
        format!("{name:<name_width$} "),
        if selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        },
    )];
    let color = if row.interval.is_some_and(|(l, _)| l > row.chance) {
        Color::Green
    } else {
        Color::Yellow
    };
    for i in 0..width {
        let ch = if i == chance {
            '┊'
        } else if i < filled {
            '█'
        } else if i >= lo && i < hi {
            '─'
        } else {
            '·'
        };
        let style = if i < filled {
            Style::default().fg(color)
        } else {
            Style::default().fg(Color::DarkGray)
        };
        spans.push(Span::styled(ch.to_string(), style));
    }
    spans.push(Span::raw(format!(
        " {} n {}",
        crate::eval::markdown::rate_with_interval(row.accuracy.rate(), row.interval),
        row.n
    )));
    Line::from(spans)
}

/// Observed frequency against mean P per bin, each with its interval, and the diagonal.
fn reliability_diagram(frame: &mut Frame, area: Rect, row: &Row) {
    let diagonal: Vec<(f64, f64)> = vec![(0.0, 0.0), (1.0, 1.0)];
    let points: Vec<(f64, f64)> = row
        .reliability
        .iter()
        .filter_map(|b| Some((b.conf?, b.acc?)))
        .collect();
    let whiskers: Vec<Vec<(f64, f64)>> = row
        .reliability
        .iter()
        .filter_map(|b| {
            let (lo, hi) = b.interval?;
            let x = b.conf?;
            Some(vec![(x, lo), (x, hi)])
        })
        .collect();
    let mut datasets = vec![Dataset::default()
        .name("calibrated")
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::default().fg(Color::DarkGray))
        .data(&diagonal)];
    for whisker in &whiskers {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(Color::Yellow))
                .data(whisker),
        );
    }
    datasets.push(
        Dataset::default()
            .name("observed per bin")
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            )
            .data(&points),
    );
    let labels = || vec![Line::from("0"), Line::from("0.5"), Line::from("1")];
    let chart = Chart::new(datasets)
        .block(Block::default().borders(Borders::ALL).title(format!(
            " Reliability: {} (ECE {}, n {}) · c next ",
            row.name,
            row.ece.map_or("-".into(), |e| format!("{e:.3}")),
            row.n
        )))
        .x_axis(
            Axis::default()
                .title("mean P")
                .bounds([0.0, 1.0])
                .labels(labels()),
        )
        .y_axis(
            Axis::default()
                .title("observed")
                .bounds([0.0, 1.0])
                .labels(labels()),
        );
    frame.render_widget(chart, area);
}
