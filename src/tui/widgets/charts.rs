//! The Insights view's charts: per-principle bars (ratatui's `BarChart`) of one statistic, and
//! harmlessness against helpfulness of the two constitutions of an A/B run (ratatui's
//! `Chart`), each a point with its 95% Wilson interval drawn as a cross.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Bar, BarChart, Block, Borders, Chart, Dataset, GraphType};
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
/// carries its principle and value, so the bar itself is all bar.
pub fn principle_bars(frame: &mut Frame, area: Rect, title: &str, mut values: Vec<BarValue>) {
    values.sort_by(|a, b| b.percent.total_cmp(&a.percent).then(a.label.cmp(&b.label)));
    let id_width = values
        .iter()
        .map(|v| v.label.len())
        .max()
        .unwrap_or(0)
        .min(16);
    let text_width = values.iter().map(|v| v.text.len()).max().unwrap_or(0);
    let bars: Vec<Bar> = values
        .iter()
        .map(|v| {
            let color = if v.percent >= 50.0 {
                Color::Red
            } else if v.percent >= 20.0 {
                Color::Yellow
            } else {
                Color::Green
            };
            let id: String = v.label.chars().take(id_width).collect();
            let label = format!("{id:<id_width$} {:>text_width$}", v.text);
            Bar::with_label(Line::from(label), v.percent.round().max(0.0) as u64)
                .text_value(String::new())
                .style(Style::default().fg(color))
        })
        .collect();
    let chart = BarChart::horizontal(bars)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        )
        .bar_width(1)
        .bar_gap(0)
        .max(100);
    frame.render_widget(chart, area);
}

/// A point and its interval on each axis.
struct Point {
    x: f64,
    y: f64,
    x_interval: Option<(f64, f64)>,
    y_interval: Option<(f64, f64)>,
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
/// helpfulness (x: under the helpfulness question) for A and B, with their intervals.
pub fn harmless_vs_helpful(frame: &mut Frame, area: Rect, outcome: &AbOutcome) {
    let (Some((help, help_ci)), Some((harm, harm_ci))) = (
        rate(outcome, Question::Helpful),
        rate(outcome, Question::Harmless),
    ) else {
        return;
    };
    let mirror = |ci: Option<(f64, f64)>| ci.map(|(lo, hi)| (1.0 - hi, 1.0 - lo));
    let points = [
        Point {
            x: help,
            y: harm,
            x_interval: help_ci,
            y_interval: harm_ci,
        },
        Point {
            x: 1.0 - help,
            y: 1.0 - harm,
            x_interval: mirror(help_ci),
            y_interval: mirror(harm_ci),
        },
    ];
    let names = [&outcome.sides[0].name, &outcome.sides[1].name];
    let colors = [Color::Cyan, Color::Magenta];
    let crosses: Vec<[Vec<(f64, f64)>; 2]> = points
        .iter()
        .map(|p| {
            let (x0, x1) = p.x_interval.unwrap_or((p.x, p.x));
            let (y0, y1) = p.y_interval.unwrap_or((p.y, p.y));
            [vec![(x0, p.y), (x1, p.y)], vec![(p.x, y0), (p.x, y1)]]
        })
        .collect();
    let centres: Vec<[(f64, f64); 1]> = points.iter().map(|p| [(p.x, p.y)]).collect();
    let mut datasets = Vec::new();
    for i in 0..2 {
        let style = Style::default().fg(colors[i]);
        for segment in &crosses[i] {
            datasets.push(
                Dataset::default()
                    .graph_type(GraphType::Line)
                    .marker(Marker::Braille)
                    .style(style)
                    .data(segment),
            );
        }
        datasets.push(
            Dataset::default()
                .name(format!("{} {}", ["A", "B"][i], names[i]))
                .graph_type(GraphType::Scatter)
                .marker(Marker::Block)
                .style(style.add_modifier(Modifier::BOLD))
                .data(&centres[i]),
        );
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
