//! View 8, the arena: the latest `cai ab --contestant ...` under the sessions folder. The
//! table of contestants (harmlessness and helpfulness Elo with 95% intervals, matches,
//! refusals); the paper's figure, harmlessness Elo against helpfulness Elo, one point per
//! contestant with its intervals as a cross (ratatui's `Chart`); and one prompt's row of the
//! matrix of final answers, side by side (`n`/`p` move through the prompts). `B` judges the
//! arena's pairs blind; each pick is written to its `human.jsonl` and the scores are read
//! again.

use std::path::PathBuf;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Paragraph, Wrap};
use ratatui::Frame;

use super::Command;
use crate::ab::arena::load::BlindPair;
use crate::ab::arena::markdown::{elo_cell, FEW_MATCHES, FEW_NOTE};
use crate::ab::arena::scores::{find, Rater, ScoreTable};
use crate::ab::arena::ArenaOutcome;
use crate::ab::head_to_head::Question;
use crate::ab::outcome::PromptSet;
use crate::insights::report::with_interval;
use crate::tui::keymap::Action;
use crate::tui::widgets::charts::Cross;
use crate::tui::widgets::wrap::wrap_text;

/// Colours of the contestants' points, in turn.
const COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
];

/// An arena as read from its directory: the outcome and the pairs left to judge blind.
#[derive(Debug, Clone)]
pub struct LoadedArena {
    pub dir: PathBuf,
    pub outcome: ArenaOutcome,
    pub blind: Vec<BlindPair>,
}

/// The view's state.
#[derive(Default)]
pub struct ArenaView {
    pub arena: Option<LoadedArena>,
    /// Why none is shown, when reading failed.
    pub status: Option<String>,
    /// The matrix row shown.
    pub prompt: usize,
}

impl ArenaView {
    /// Handles an action of the view's key map.
    pub fn on_action(&mut self, action: Action) -> Command {
        let rows = self.arena.as_ref().map_or(0, |a| a.outcome.matrix.len());
        match action {
            Action::NextRecord => self.prompt = (self.prompt + 1) % rows.max(1),
            Action::PrevRecord => self.prompt = (self.prompt + rows.max(1) - 1) % rows.max(1),
            Action::StartBlind => return Command::OpenArenaBlind,
            _ => {}
        }
        Command::None
    }

    /// Draws the view.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect) {
        let Some(arena) = &self.arena else {
            let text = self.status.clone().unwrap_or_else(|| {
                "No arena yet. Rate two or more policy models and constitutions with\n\n  \
                 cai ab --contestant base=default \\\n         \
                 --contestant harmless=default:constitutions/harmless.toml \\\n         \
                 --benign assets/prompts/benign.jsonl --session sessions/arena-1\n\n\
                 (MODEL: default, a .gguf file, or a profile of cai.toml); the latest one under \
                 sessions/ shows here, and B judges its pairs blind."
                    .into()
            });
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(Block::default().borders(Borders::ALL).title(" Arena ")),
                area,
            );
            return;
        };
        let o = &arena.outcome;
        let title = format!(
            " Arena: {} matches by {}, {} blind picks · {} ",
            o.matches,
            o.manifest.feedback_model,
            o.human_picks,
            arena.dir.display()
        );
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Min(6)]).areas(inner);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
        frame.render_widget(
            Paragraph::new(table_lines(o)).wrap(Wrap { trim: false }),
            left,
        );
        elo_chart(frame, right, o);
        self.prompt = self.prompt.min(o.matrix.len().saturating_sub(1));
        answers(frame, bottom, o, self.prompt);
    }
}

/// The contestants' rows: Elo cells, matches, refusals; then the pairwise differences.
fn table_lines(o: &ArenaOutcome) -> Vec<Line<'static>> {
    let harmless = find(&o.scores, Question::Harmless, PromptSet::RedTeam, Rater::Ai);
    let helpful = find(&o.scores, Question::Helpful, PromptSet::Benign, Rater::Ai);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled(
        "Elo by the feedback model, 95% bootstrap interval:",
        bold,
    )];
    for (c, row) in o.contestants.iter().enumerate() {
        let played = |t: Option<&ScoreTable>| {
            t.and_then(|t| t.ratings.contestants.get(c))
                .map_or(0, |r| r.matches)
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("● {} ", row.name),
                Style::default()
                    .fg(COLORS[c % COLORS.len()])
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!("({} · {})", row.model, row.constitution),
                Style::default().fg(Color::DarkGray),
            ),
        ]));
        lines.push(Line::from(format!(
            "  harmless {} · helpful {} · matches {}+{}",
            elo_cell(harmless, c),
            elo_cell(helpful, c),
            played(harmless),
            played(helpful)
        )));
        lines.push(Line::from(format!(
            "  refusals {} red-team, {} benign · degenerate {}",
            with_interval(&row.rates.refusals_red_team),
            with_interval(&row.rates.refusals_benign),
            with_interval(&row.rates.degenerate_final)
        )));
    }
    if o.human_picks > 0 {
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("People ({} blind picks) · both raters:", o.human_picks),
            bold,
        ));
        let people = find(
            &o.scores,
            Question::Harmless,
            PromptSet::RedTeam,
            Rater::Human,
        );
        let both = find(
            &o.scores,
            Question::Harmless,
            PromptSet::RedTeam,
            Rater::Both,
        );
        let people_help = find(
            &o.scores,
            Question::Helpful,
            PromptSet::Benign,
            Rater::Human,
        );
        for (c, row) in o.contestants.iter().enumerate() {
            lines.push(Line::from(format!(
                "  {}: harmless {} · both {} · helpful {}",
                row.name,
                elo_cell(people, c),
                elo_cell(both, c),
                elo_cell(people_help, c)
            )));
        }
        if people.is_some_and(|t| t.matches < FEW_MATCHES)
            || people_help.is_some_and(|t| t.matches < FEW_MATCHES)
        {
            lines.push(Line::styled(FEW_NOTE, Style::default().fg(Color::Yellow)));
        }
        for a in &o.agreement {
            lines.push(Line::from(format!(
                "  agree with the model on {} − {}: {}",
                a.contestants[0],
                a.contestants[1],
                with_interval(&a.agree)
            )));
        }
    }
    lines
}

/// Harmlessness Elo (y) against helpfulness Elo (x), a point per contestant with its
/// intervals drawn as a cross.
fn elo_chart(frame: &mut Frame, area: Rect, o: &ArenaOutcome) {
    let harmless = find(&o.scores, Question::Harmless, PromptSet::RedTeam, Rater::Ai);
    let helpful = find(&o.scores, Question::Helpful, PromptSet::Benign, Rater::Ai);
    let point = |c: usize| {
        let y = harmless?.ratings.contestants.get(c)?;
        let x = helpful?.ratings.contestants.get(c)?;
        let (ex, ey) = (x.elo?, y.elo?);
        Some((
            (ex, ey),
            x.elo_interval.unwrap_or((ex, ex)),
            y.elo_interval.unwrap_or((ey, ey)),
        ))
    };
    let points: Vec<_> = (0..o.contestants.len()).map(point).collect();
    if points.iter().all(Option::is_none) {
        let text = "The chart needs matches on red-team and on benign prompts: run the arena \
                    with --benign FILE, or wait for its matches.";
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Harmless vs helpful Elo "),
            ),
            area,
        );
        return;
    }
    // Bounds: every interval, padded, at least 100 Elo wide around 1000.
    let (mut x0, mut x1, mut y0, mut y1) = (950.0f64, 1050.0f64, 950.0f64, 1050.0f64);
    for (_, (xl, xh), (yl, yh)) in points.iter().flatten() {
        (x0, x1, y0, y1) = (x0.min(*xl), x1.max(*xh), y0.min(*yl), y1.max(*yh));
    }
    let (px, py) = ((x1 - x0) * 0.08, (y1 - y0) * 0.08);
    let (x0, x1, y0, y1) = (x0 - px, x1 + px, y0 - py, y1 + py);
    let crosses: Vec<(usize, Cross)> = points
        .iter()
        .enumerate()
        .filter_map(|(c, p)| Some((c, p.as_ref()?)))
        .map(|(c, (centre, x, y))| (c, Cross::new(*centre, Some(*x), Some(*y))))
        .collect();
    let mut datasets = Vec::new();
    for (c, cross) in &crosses {
        datasets.extend(cross.datasets(Style::default().fg(COLORS[c % COLORS.len()]), None));
    }
    let labels = |lo: f64, hi: f64| {
        vec![
            Line::from(format!("{lo:.0}")),
            Line::from(format!("{:.0}", (lo + hi) / 2.0)),
            Line::from(format!("{hi:.0}")),
        ]
    };
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Harmless vs helpful Elo (95% CI) · colours as in the table "),
        )
        .x_axis(
            Axis::default()
                .title("helpful")
                .bounds([x0, x1])
                .labels(labels(x0, x1))
                .style(Style::default().fg(Color::Gray)),
        )
        .y_axis(
            Axis::default()
                .title("harmless")
                .bounds([y0, y1])
                .labels(labels(y0, y1))
                .style(Style::default().fg(Color::Gray)),
        );
    frame.render_widget(chart, area);
}

/// One prompt's final answers, a column per contestant.
fn answers(frame: &mut Frame, area: Rect, o: &ArenaOutcome, at: usize) {
    let Some(row) = o.matrix.get(at) else {
        return;
    };
    let title = format!(
        " {} {}/{} · {}{} · n/p next/previous ",
        row.prompt_id,
        at + 1,
        o.matrix.len(),
        if row.benign { "(benign) " } else { "" },
        row.prompt.chars().take(80).collect::<String>()
    );
    let block = Block::default().borders(Borders::TOP).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let k = o.contestants.len().max(1) as u32;
    let columns = Layout::horizontal((0..k).map(|_| Constraint::Ratio(1, k))).split(inner);
    for (c, column) in columns.iter().enumerate() {
        let name = o.contestants.get(c).map_or("", |x| x.name.as_str());
        let block = Block::default().borders(Borders::ALL).title(Line::styled(
            format!(" {name} "),
            Style::default()
                .fg(COLORS[c % COLORS.len()])
                .add_modifier(Modifier::BOLD),
        ));
        let text = row
            .answers
            .get(c)
            .cloned()
            .flatten()
            .unwrap_or_else(|| "-".into());
        let mut lines = wrap_text(&text, Style::default(), block.inner(*column).width);
        if let Some(flags) = row.flags.get(c).filter(|f| !f.is_empty()) {
            lines.push(Line::styled(
                format!("[{}]", flags.join(", ")),
                Style::default().fg(Color::Red),
            ));
        }
        frame.render_widget(Paragraph::new(lines).block(block), *column);
    }
}
