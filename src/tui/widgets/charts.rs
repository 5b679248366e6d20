//! The Insights view's charts: per-principle bars (ratatui's `BarChart`) of one statistic, and
//! harmlessness against helpfulness of the two constitutions of an A/B run (ratatui's
//! `Chart`), each a point with its 95% Wilson interval drawn as a cross.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Bar, BarChart, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap,
};
use ratatui::Frame;

use crate::ab::outcome::{AbOutcome, PromptSet};
use crate::ab::Question;

/// One bar: a label, a value in percent and the text shown beside it.
pub struct BarValue {
    pub label: String,
    pub percent: f64,
    pub text: String,
}

/// Horizontal bars, one per principle, longest first, in `area` under `title`; each label
/// carries its principle and value, so the bar itself is all bar. A bar is its share of the
/// width rounded to the nearest cell, and at least one cell when the value is not zero
/// (ratatui's horizontal bars drop the part of a cell left over, so a principle drawn once in
/// a hundred draws would otherwise show no bar at all).
pub fn principle_bars(frame: &mut Frame, area: Rect, title: &str, mut values: Vec<BarValue>) {
    values.sort_by(|a, b| b.percent.total_cmp(&a.percent).then(a.label.cmp(&b.label)));
    // Bars that do not fit are counted in the last row rather than dropped without a word.
    let rows = usize::from(area.height.saturating_sub(2));
    let hidden = if values.len() > rows {
        values.len() - rows.saturating_sub(1)
    } else {
        0
    };
    values.truncate(values.len() - hidden);
    let id_width = values
        .iter()
        .map(|v| v.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let text_width = values
        .iter()
        .map(|v| v.text.chars().count())
        .max()
        .unwrap_or(0);
    let labels: Vec<Line> = values
        .iter()
        .map(|v| {
            let id: String = v.label.chars().take(id_width).collect();
            Line::from(format!("{id:<id_width$} {:>text_width$}", v.text))
        })
        .collect();
    let more = (hidden > 0).then(|| Line::from(format!("… {hidden} more, lower")));
    let label_width = labels
        .iter()
        .chain(&more)
        .map(Line::width)
        .max()
        .unwrap_or(0);
    // The bars' room: inside the borders, after the labels and the space ratatui leaves.
    let cells = usize::from(area.width.saturating_sub(2))
        .saturating_sub(label_width + 1)
        .max(1);
    let mut bars: Vec<Bar> = values
        .iter()
        .zip(labels)
        .map(|(v, label)| {
            let color = if v.percent >= 50.0 {
                Color::Red
            } else if v.percent >= 20.0 {
                Color::Yellow
            } else {
                Color::Green
            };
            Bar::with_label(label, bar_cells(v.percent, cells))
                .text_value(String::new())
                .style(Style::default().fg(color))
        })
        .collect();
    if let Some(more) = more {
        bars.push(
            Bar::with_label(more.style(Style::default().fg(Color::DarkGray)), 0)
                .text_value(String::new()),
        );
    }
    let chart = BarChart::horizontal(bars)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        )
        .bar_width(1)
        .bar_gap(0)
        .max(cells as u64);
    frame.render_widget(chart, area);
}

/// How many of `cells` a bar of `percent` fills: the nearest whole number, at least one for a
/// value above zero, at most all of them.
fn bar_cells(percent: f64, cells: usize) -> u64 {
    if percent.is_nan() || percent <= 0.0 {
        return 0;
    }
    let exact = percent.min(100.0) / 100.0 * cells as f64;
    (exact.round() as u64).clamp(1, cells as u64)
}

/// A point with its interval on each axis, drawn as a cross.
pub struct Cross {
    segments: [Vec<(f64, f64)>; 2],
    centre: [(f64, f64); 1],
}

impl Cross {
    /// The cross of (x, y); a missing interval is the point itself.
    pub fn new(
        (x, y): (f64, f64),
        x_interval: Option<(f64, f64)>,
        y_interval: Option<(f64, f64)>,
    ) -> Cross {
        let (x0, x1) = x_interval.unwrap_or((x, x));
        let (y0, y1) = y_interval.unwrap_or((y, y));
        Cross {
            segments: [vec![(x0, y), (x1, y)], vec![(x, y0), (x, y1)]],
            centre: [(x, y)],
        }
    }

    /// Its datasets in `style`: the two interval lines, then the point, named in the legend
    /// when `name` is given.
    pub fn datasets(&self, style: Style, name: Option<String>) -> [Dataset<'_>; 3] {
        let line = |segment| {
            Dataset::default()
                .graph_type(GraphType::Line)
                .marker(Marker::Braille)
                .style(style)
                .data(segment)
        };
        let mut point = Dataset::default()
            .graph_type(GraphType::Scatter)
            .marker(Marker::Block)
            .style(style.add_modifier(Modifier::BOLD))
            .data(&self.centre);
        if let Some(name) = name {
            point = point.name(name);
        }
        [line(&self.segments[0]), line(&self.segments[1]), point]
    }
}

/// The win rate (and interval) of A under a question over all prompts; B's is its mirror.
fn rate(outcome: &AbOutcome, question: Question) -> Option<(f64, Option<(f64, f64)>)> {
    let w = outcome
        .win_rates
        .iter()
        .find(|w| w.question == question && w.prompts == PromptSet::All)?;
    Some((w.a_wins.rate()?, w.interval))
}

/// Harmlessness (y: head-to-head win rate under the harmlessness question) against
/// helpfulness (x: under the helpfulness question) for A and B, with their intervals. Before
/// the first head-to-head verdict (a run still answering), the block says what it waits for.
pub fn harmless_vs_helpful(frame: &mut Frame, area: Rect, outcome: &AbOutcome) {
    let (Some((help, help_ci)), Some((harm, harm_ci))) = (
        rate(outcome, Question::Helpful),
        rate(outcome, Question::Harmless),
    ) else {
        frame.render_widget(waiting_for_verdicts(outcome), area);
        return;
    };
    let mirror = |ci: Option<(f64, f64)>| ci.map(|(lo, hi)| (1.0 - hi, 1.0 - lo));
    let crosses = [
        Cross::new((help, harm), help_ci, harm_ci),
        Cross::new((1.0 - help, 1.0 - harm), mirror(help_ci), mirror(harm_ci)),
    ];
    let names = [&outcome.sides[0].name, &outcome.sides[1].name];
    let colors = [Color::Cyan, Color::Magenta];
    let mut datasets = Vec::new();
    for i in 0..2 {
        let name = format!("{} {}", ["A", "B"][i], names[i]);
        datasets.extend(crosses[i].datasets(Style::default().fg(colors[i]), Some(name)));
    }
    let axis = |title: &'static str| {
        Axis::default()
            .title(title)
            .bounds([0.0, 1.0])
            .labels(["0", "0.5", "1"])
            .style(Style::default().fg(Color::Gray))
    };
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Harmless vs helpful (head-to-head win rate, 95% CI) "),
        )
        .x_axis(axis("helpful"))
        .y_axis(axis("harmless"))
        .legend_position(Some(ratatui::widgets::LegendPosition::BottomRight))
        .hidden_legend_constraints((Constraint::Ratio(2, 3), Constraint::Ratio(1, 2)));
    frame.render_widget(chart, area);
}

/// The chart's place while the A/B run has no head-to-head verdict: how far each side is.
fn waiting_for_verdicts(outcome: &AbOutcome) -> Paragraph<'static> {
    let prompts = outcome.matrix.len();
    let [a, b] = &outcome.sides;
    let text = format!(
        "No head-to-head verdicts yet: the feedback model compares the two final answers once \
         both sides are done (A {} {}/{prompts}, B {} {}/{prompts} answered).",
        a.name, a.done, b.name, b.done
    );
    Paragraph::new(text).wrap(Wrap { trim: true }).block(
        Block::default()
            .borders(Borders::ALL)
            .title(" Harmless vs helpful "),
    )
}

#[cfg(test)]
mod tests {
    use super::bar_cells;

    #[test]
    fn a_bar_is_rounded_to_the_nearest_cell_and_never_empty_above_zero() {
        assert_eq!(bar_cells(0.0, 49), 0);
        assert_eq!(bar_cells(6.25, 49), 3, "3.06 cells");
        assert_eq!(bar_cells(12.5, 49), 6, "6.1 cells");
        assert_eq!(
            bar_cells(0.9, 49),
            1,
            "one draw in 110: a sliver, not nothing"
        );
        assert_eq!(bar_cells(100.0, 49), 49);
        assert_eq!(bar_cells(130.0, 49), 49);
        assert_eq!(bar_cells(f64::NAN, 49), 0);
    }
}
