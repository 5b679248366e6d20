//! View 6, Insights: what the session says about the constitution. A summary line, a bar per
//! critique principle of one statistic (`m` cycles degenerate revisions, refusal turns,
//! preference by the feedback model, change, draws), the comparison principles' position bias
//! and agreement, and, from the latest A/B run, harmlessness against helpfulness of the two
//! constitutions with their rates. `b` starts an A/B run of this constitution against another
//! file. The statistics are recomputed only when records or reviews change.

use std::path::PathBuf;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::popups::InputPurpose;
use super::Command;
use crate::ab::AbOutcome;
use crate::insights::report::with_interval;
use crate::insights::{insights, ComparisonStats, CritiqueStats, Insights, Item};
use crate::stats::Proportion;
use crate::tui::keymap::Action;
use crate::tui::widgets::charts::{harmless_vs_helpful, principle_bars, BarValue};
use crate::tui::workspace::Workspace;

/// The statistic the principle bars show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Metric {
    #[default]
    Degenerate,
    Refusals,
    Preferred,
    Change,
    Draws,
}

impl Metric {
    fn next(self) -> Metric {
        match self {
            Metric::Degenerate => Metric::Refusals,
            Metric::Refusals => Metric::Preferred,
            Metric::Preferred => Metric::Change,
            Metric::Change => Metric::Draws,
            Metric::Draws => Metric::Degenerate,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Metric::Degenerate => " Critique principles: degenerate revisions (m: next) ",
            Metric::Refusals => " Critique principles: revisions turned into refusals (m: next) ",
            Metric::Preferred => {
                " Critique principles: feedback model preferred its final revision (m: next) "
            }
            Metric::Change => " Critique principles: how much revisions changed, % (m: next) ",
            Metric::Draws => " Critique principles: share of draws (m: next) ",
        }
    }

    fn bar(self, s: &CritiqueStats, total_draws: usize) -> BarValue {
        let share = |p: &Proportion| BarValue {
            label: s.id.clone(),
            percent: p.rate().unwrap_or(0.0) * 100.0,
            text: p.show(),
        };
        match self {
            Metric::Degenerate => share(&s.degenerate),
            Metric::Refusals => share(&s.refusals),
            Metric::Preferred => share(&s.preferred),
            Metric::Change => {
                let c = s.change.value().unwrap_or(0.0) * 100.0;
                BarValue {
                    label: s.id.clone(),
                    percent: c,
                    text: format!("{c:.0}%"),
                }
            }
            Metric::Draws => share(&Proportion::new(s.draws as f64, total_draws)),
        }
    }
}

/// State of the Insights view.
#[derive(Default)]
pub struct InsightsView {
    metric: Metric,
    cache: Option<(u64, Insights)>,
    /// The latest A/B run and what it shows.
    pub ab: Option<(PathBuf, AbOutcome)>,
    /// Progress of an A/B run, or why loading one failed.
    pub ab_status: Option<String>,
}

impl InsightsView {
    /// The session's insights, recomputed only after a change.
    pub fn insights(&mut self, ws: &Workspace) -> &Insights {
        if self.cache.as_ref().is_none_or(|(v, _)| *v != ws.version) {
            let ids = ws.record_ids();
            let items: Vec<Item> = ids
                .iter()
                .filter_map(|id| {
                    ws.record(id).map(|record| Item {
                        record,
                        review: ws.review(id),
                        blind: ws.session.blind_pick(id),
                    })
                })
                .collect();
            self.cache = Some((ws.version, insights(&items)));
        }
        &self.cache.as_ref().expect("just filled").1
    }

    /// Handles an action of the Insights key map.
    pub fn on_action(&mut self, action: Action) -> Command {
        match action {
            Action::CycleMetric => self.metric = self.metric.next(),
            Action::StartAb => {
                return Command::Input(InputPurpose::AbConstitution, String::new());
            }
            Action::Cancel => return Command::CancelAb,
            _ => {}
        }
        Command::None
    }

    /// Draws the view.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, ws: &Workspace) {
        let metric = self.metric;
        let data = self.insights(ws).clone();
        // The comparison principles get the rows they need (a constitution has a dozen or
        // more), up to half of what the summary leaves; the A/B box beside them needs 8.
        let wanted = data.comparison.len().max(1) as u16 + 3;
        let half = area.height.saturating_sub(5) / 2;
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Length(5),
            Constraint::Min(8),
            Constraint::Length(wanted.clamp(8, half.max(8))),
        ])
        .areas(area);
        frame.render_widget(summary(&data), top);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(middle);
        let total_draws = data.critique.iter().map(|s| s.draws).sum();
        let bars = data
            .critique
            .iter()
            .map(|s| metric.bar(s, total_draws))
            .collect();
        principle_bars(frame, left, metric.title(), bars);
        match &self.ab {
            Some((_, outcome)) => harmless_vs_helpful(frame, right, outcome),
            None => {
                let text = self.ab_status.clone().unwrap_or_else(|| {
                    "No A/B run yet. Press b to run this constitution against another file \
                     (or run `cai ab`)."
                        .to_string()
                });
                let block = Block::default()
                    .borders(Borders::ALL)
                    .title(" Harmless vs helpful ");
                frame.render_widget(
                    Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
                    right,
                );
            }
        }
        let [cmp, ab] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(bottom);
        frame.render_widget(comparison_lines(&data, cmp.height), cmp);
        frame.render_widget(ab_lines(self.ab.as_ref(), self.ab_status.as_deref()), ab);
    }
}

fn summary(data: &Insights) -> Paragraph<'static> {
    let s = &data.summary;
    let flagged: Vec<String> = s
        .flagged
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let lines = vec![
        Line::from(format!(
            "{} records ({} done) · refusing final answers {} · degenerate revisions {}",
            s.records,
            s.done,
            with_interval(&s.refusals),
            with_interval(&s.degenerate_revisions)
        )),
        Line::from(format!(
            "feedback model preferred the revision {} · change initial→final {}",
            with_interval(&s.revision_preferred),
            s.change.value().map_or("-".into(), |c| format!("{c:.2}"))
        )),
        Line::from(Span::styled(
            format!(
                "records flagged: {}",
                if flagged.is_empty() {
                    "none".to_string()
                } else {
                    flagged.join(", ")
                }
            ),
            Style::default().fg(Color::Yellow),
        )),
    ];
    Paragraph::new(lines).block(
        Block::default()
            .borders(Borders::BOTTOM)
            .title(" Insights "),
    )
}

/// The comparison principles, most position-biased first, in a box `height` rows high; those
/// that do not fit are counted in the last line.
fn comparison_lines(data: &Insights, height: u16) -> Paragraph<'static> {
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<18} {:>5} {:>9} {:>7} {:>9} {:>9}",
            "comparison", "asked", "P(first)", "flips", "ensemble", "reviewer"
        ),
        Style::default().fg(Color::Yellow),
    ))];
    let rate = |p: &Proportion| {
        p.rate()
            .map_or("-".into(), |r| format!("{:.0}%", r * 100.0))
    };
    let bias = |c: &&ComparisonStats| c.first_slot.value().map(|v| (v - 0.5).abs());
    let mut rows: Vec<&ComparisonStats> = data.comparison.iter().collect();
    rows.sort_by(|a, b| {
        let (x, y) = (bias(a), bias(b));
        y.partial_cmp(&x)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.asked.cmp(&a.asked))
            .then(a.id.cmp(&b.id))
    });
    // Inside the borders, under the header.
    let room = usize::from(height.saturating_sub(3));
    let hidden = if rows.len() > room {
        rows.len() - room.saturating_sub(1)
    } else {
        0
    };
    rows.truncate(rows.len() - hidden);
    for c in rows {
        let first = c
            .first_slot
            .value()
            .map_or("-".into(), |v| format!("{v:.2}"));
        let biased = c.first_slot.value().is_some_and(|v| (v - 0.5).abs() >= 0.1);
        let style = if biased {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(
            format!(
                "{:<18} {:>5} {:>9} {:>7} {:>9} {:>9}{}",
                c.id.chars().take(18).collect::<String>(),
                c.asked,
                first,
                rate(&c.order_flips),
                rate(&c.ensemble),
                rate(&c.reviewer),
                if biased { "  biased" } else { "" }
            ),
            style,
        )));
    }
    if hidden > 0 {
        lines.push(Line::from(Span::styled(
            format!("… {hidden} more, less biased (`cai report` lists every one)"),
            Style::default().fg(Color::DarkGray),
        )));
    }
    if data.comparison.is_empty() {
        lines.push(Line::from("no comparisons in this session"));
    }
    Paragraph::new(lines).block(
        Block::default()
            .borders(Borders::ALL)
            .title(" Comparison principles, most position-biased first "),
    )
}

fn ab_lines(ab: Option<&(PathBuf, AbOutcome)>, status: Option<&str>) -> Paragraph<'static> {
    let mut lines = Vec::new();
    if let Some((dir, o)) = ab {
        // A table, so the two sides line up however far each has got (52 columns).
        let header = Style::default().fg(Color::Yellow);
        lines.push(Line::from(Span::styled(
            format!(
                "{:<10} {:>5} {:>11} {:>11} {:>11}",
                "", "done", "refuses", "refuses", "degenerate"
            ),
            header,
        )));
        lines.push(Line::from(Span::styled(
            format!(
                "{:<10} {:>5} {:>11} {:>11} {:>11}",
                "", "", "red-team", "benign", "final"
            ),
            header,
        )));
        for side in &o.sides {
            lines.push(Line::from(format!(
                "{:<10} {:>5} {:>11} {:>11} {:>11}",
                side.name.chars().take(10).collect::<String>(),
                format!("{}/{}", side.done, o.matrix.len()),
                side.refusals_red_team.show(),
                side.refusals_benign.show(),
                side.degenerate_final.show()
            )));
        }
        lines.push(Line::from(Span::styled(
            dir.display().to_string(),
            Style::default().fg(Color::DarkGray),
        )));
    }
    if let Some(status) = status {
        lines.push(Line::from(Span::styled(
            status.to_string(),
            Style::default().fg(Color::Cyan),
        )));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::default().borders(Borders::ALL).title(" A/B "))
}
