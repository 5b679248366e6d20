//! Blind judging (`B` in the Comparison view): a person sees a record's prompt and its two
//! compared answers in random positions, with no P(A), model, principle or source in sight,
//! and picks (A), (B) or a tie with one key. Each pick goes to the session log (as a
//! [`BlindPick`] naming the answers by source), where it counts as a human label for `cai
//! eval`, the agreement columns of Insights and the export. The queue is every done record
//! with a comparison of two different answers and no blind pick yet, in list order.
//!
//! The same popup judges an arena's matches (`B` in the Arena view): two contestants' final
//! answers with the question the pick answers, no contestant, model or score in sight; each
//! pick goes to the arena's `human.jsonl` as a [`HumanPick`], a second rater beside the
//! feedback model.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use std::path::PathBuf;

use super::Command;
use crate::ab::arena::load::BlindPair;
use crate::ab::arena::HumanPick;
use crate::data::RecordStatus;
use crate::session::BlindPick;
use crate::tui::keymap::Action;
use crate::tui::widgets::wrap::wrap_text;
use crate::tui::workspace::{now_rfc3339, Workspace};

/// The pair on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub id: String,
    pub prompt: String,
    /// (source, text) of the answer shown as (A), then (B).
    pub first: (String, String),
    pub second: (String, String),
}

/// One pair waiting for a pick: a session record's comparison, or an arena's match.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    id: String,
    prompt: String,
    /// (source, text) of the two answers, in the order stored.
    a: (String, String),
    b: (String, String),
    /// The question the pick answers, for an arena's match.
    question: Option<&'static str>,
}

/// Where the picks go.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// The session log, as [`BlindPick`]s.
    Session,
    /// An arena directory's `human.jsonl`, as [`HumanPick`]s.
    Arena(PathBuf),
}

/// The blind judging popup's state.
pub struct BlindJudge {
    queue: Vec<Candidate>,
    target: Target,
    /// Index in `queue` of the pair on screen.
    at: usize,
    pub shown: Option<Shown>,
    /// Picks made (sent to be written) in this sitting.
    pub picked: usize,
    pub closed: bool,
    /// Draws which answer is shown first.
    rng: ChaCha8Rng,
}

impl BlindJudge {
    /// The queue of `ws`'s records a person has not picked blind yet, the first pair shown,
    /// positions drawn at random.
    pub fn new(ws: &Workspace) -> BlindJudge {
        BlindJudge::with_seed(ws, rand::random())
    }

    /// As [`BlindJudge::new`], positions drawn from `seed` (for tests).
    pub fn with_seed(ws: &Workspace, seed: u64) -> BlindJudge {
        let queue = ws
            .record_ids()
            .into_iter()
            .filter(|id| ws.session.blind_pick(id).is_none())
            .filter_map(|id| {
                let r = ws.record(&id)?;
                let c = r.comparison.as_ref()?;
                (r.status == RecordStatus::Done && c.a.trim() != c.b.trim()).then(|| Candidate {
                    prompt: r.prompt.text.clone(),
                    a: (c.a_source.clone(), c.a.clone()),
                    b: (c.b_source.clone(), c.b.clone()),
                    question: None,
                    id,
                })
            })
            .collect();
        BlindJudge::over(queue, Target::Session, seed)
    }

    /// Blind judging over an arena's matches not picked yet (from [`crate::ab::arena::load::ArenaFiles::blind_queue`]); the picks
    /// go to the arena's `human.jsonl`.
    pub fn for_arena(dir: PathBuf, pairs: Vec<BlindPair>, seed: u64) -> BlindJudge {
        let queue = pairs
            .into_iter()
            .map(|p| {
                let [a, b] = p.contestants;
                let [ta, tb] = p.answers;
                Candidate {
                    id: p.prompt_id,
                    prompt: p.prompt,
                    a: (a, ta),
                    b: (b, tb),
                    question: Some(p.question.text()),
                }
            })
            .collect();
        BlindJudge::over(queue, Target::Arena(dir), seed)
    }

    fn over(queue: Vec<Candidate>, target: Target, seed: u64) -> BlindJudge {
        let mut judge = BlindJudge {
            queue,
            target,
            at: 0,
            shown: None,
            picked: 0,
            closed: false,
            rng: ChaCha8Rng::seed_from_u64(seed),
        };
        judge.show();
        judge
    }

    /// Pairs left, the one on screen included.
    pub fn remaining(&self) -> usize {
        self.queue.len().saturating_sub(self.at)
    }

    /// Shows the pair at `at`, its answers in a fresh random order.
    fn show(&mut self) {
        self.shown = self.queue.get(self.at).map(|c| {
            let (first, second) = if self.rng.gen_bool(0.5) {
                (c.a.clone(), c.b.clone())
            } else {
                (c.b.clone(), c.a.clone())
            };
            Shown {
                id: c.id.clone(),
                prompt: c.prompt.clone(),
                first,
                second,
            }
        });
    }

    /// Handles an action of the blind-judging key map.
    pub fn on_action(&mut self, action: Option<Action>) -> Command {
        let Some(action) = action else {
            return Command::None;
        };
        let Some(shown) = self.shown.clone() else {
            if matches!(action, Action::Back) {
                self.closed = true;
            }
            return Command::None;
        };
        let picked = match action {
            Action::PickA => Some(shown.first.0.clone()),
            Action::PickB => Some(shown.second.0.clone()),
            Action::PickTie => None,
            Action::Skip => {
                self.at += 1;
                self.show();
                return Command::None;
            }
            Action::Back => {
                self.closed = true;
                return Command::None;
            }
            _ => return Command::None,
        };
        let candidate = self.queue[self.at].clone();
        self.picked += 1;
        self.at += 1;
        self.show();
        match &self.target {
            Target::Session => Command::BlindPick(
                shown.id,
                BlindPick {
                    shown_first: shown.first.0,
                    picked,
                    at: now_rfc3339(),
                },
            ),
            Target::Arena(dir) => Command::ArenaPick(
                dir.clone(),
                Box::new(HumanPick {
                    prompt_id: shown.id,
                    contestants: [candidate.a.0, candidate.b.0],
                    shown_first: shown.first.0,
                    picked,
                    at: now_rfc3339(),
                }),
            ),
        }
    }

    /// Draws the popup over the whole body, so nothing of the view below (P(A), sources)
    /// shows through.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        frame.render_widget(Clear, area);
        let what = match self.target {
            Target::Session => "no label, model, principle or source shown",
            Target::Arena(_) => "arena pairs · no contestant, model or score shown",
        };
        let title = format!(
            " Blind judging · {} picked · {} to go · {what} ",
            self.picked,
            self.remaining()
        );
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(shown) = &self.shown else {
            let text = match (&self.target, self.picked > 0) {
                (Target::Session, true) => {
                    "Every compared record of this session has a blind pick. Esc closes."
                }
                (Target::Session, false) => {
                    "No record here has a comparison of two different answers to pick from. Esc closes."
                }
                (Target::Arena(_), true) => "Every match of this arena has a blind pick. Esc closes.",
                (Target::Arena(_), false) => {
                    "No match of this arena has two different answers left to pick from. Esc closes."
                }
            };
            frame.render_widget(Paragraph::new(text), inner);
            return;
        };
        let mut prompt_lines = wrap_text(
            &shown.prompt,
            Style::default(),
            inner.width.saturating_sub(2),
        );
        if let Some(question) = self.queue.get(self.at).and_then(|c| c.question) {
            prompt_lines.extend(wrap_text(
                question,
                Style::default().fg(Color::Yellow),
                inner.width.saturating_sub(2),
            ));
        }
        let prompt_height = (prompt_lines.len() as u16 + 2).min(inner.height / 3).max(3);
        let [prompt_area, answers] =
            Layout::vertical([Constraint::Length(prompt_height), Constraint::Min(3)]).areas(inner);
        frame.render_widget(
            Paragraph::new(prompt_lines)
                .block(Block::default().borders(Borders::BOTTOM).title(" Prompt ")),
            prompt_area,
        );
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(answers);
        for (area, label, text) in [
            (left, "(A)", &shown.first.1),
            (right, "(B)", &shown.second.1),
        ] {
            let block = Block::default().borders(Borders::ALL).title(Line::styled(
                format!(" {label} "),
                Style::default()
                    .add_modifier(Modifier::BOLD)
                    .fg(Color::Cyan),
            ));
            let lines = wrap_text(text, Style::default(), block.inner(area).width);
            frame.render_widget(Paragraph::new(lines).block(block), area);
        }
    }
}
