//! What the views show, independent of how it is drawn: the prompts and their run state, the
//! open session's records and review decisions (a [`SessionState`], folded from the same log
//! events the session writes, so replacing a record clears its review here as on disk), an
//! undo stack, and the text streaming in right now. Pipeline events are folded in here; views
//! read it and ask the app to change it.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::decision::DecisionNote;
use super::live_text::LiveText;
use crate::data::{Prompt, Record, RecordStatus};
use crate::pipeline::{PipelineEvent, Stage};
use crate::session::{LogEvent, Review, ReviewState, SessionState};

/// Where one prompt is in its run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    NotRun,
    Queued,
    Running(Stage),
    Done,
    Failed(String),
    Cancelled,
}

impl RunState {
    /// A short word for lists.
    pub fn label(&self) -> &'static str {
        match self {
            RunState::NotRun => "not run",
            RunState::Queued => "queued",
            RunState::Running(_) => "running",
            RunState::Done => "done",
            RunState::Failed(_) => "failed",
            RunState::Cancelled => "cancelled",
        }
    }
    /// Queued or running.
    pub fn is_active(&self) -> bool {
        matches!(self, RunState::Queued | RunState::Running(_))
    }
}

/// A prompt as listed: the prompt, its run state and whether it is marked for the next run.
#[derive(Debug, Clone)]
pub struct PromptRow {
    pub prompt: Prompt,
    pub state: RunState,
    pub marked: bool,
}

/// Prompts, records, reviews and live text.
#[derive(Default)]
pub struct Workspace {
    pub prompts: Vec<PromptRow>,
    /// Prompt id to its row in `prompts`.
    rows: HashMap<String, usize>,
    /// The open session's records and reviews.
    pub session: SessionState,
    /// Previous review of a prompt, newest last, for undo.
    pub undo: Vec<(String, Option<Review>)>,
    /// The last review decision and whether it reached the session log.
    pub decision: Option<DecisionNote>,
    pub live: HashMap<String, LiveText>,
    /// The record the inspector and comparison views show.
    pub current: Option<String>,
    /// Bumped on every change of records or reviews, so views can cache derived data.
    pub version: u64,
    /// Recent token arrival times, for the tokens-per-second figure.
    token_times: VecDeque<Instant>,
    /// Tokens per second over the last few seconds, updated by the clock.
    pub tokens_per_second: f64,
    pub tokens_total: u64,
    /// Bumped whenever a prompt's run state changes.
    states_version: u64,
    counts_cache: std::cell::Cell<Option<((u64, u64), Counts)>>,
}

/// Run and review counts over the whole workspace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub running: usize,
    pub queued: usize,
    pub approved: usize,
    pub rejected: usize,
    pub pending: usize,
}

impl Workspace {
    /// Adds prompts not already listed; returns how many were new.
    pub fn add_prompts(&mut self, prompts: Vec<Prompt>) -> usize {
        let mut added = 0;
        for prompt in prompts {
            if self.rows.contains_key(&prompt.id) {
                continue;
            }
            let state = self
                .session
                .get(&prompt.id)
                .map_or(RunState::NotRun, |r| state_of(&r.status));
            self.push_row(prompt, state);
            added += 1;
        }
        self.states_version += 1;
        added
    }

    fn push_row(&mut self, prompt: Prompt, state: RunState) {
        self.rows.insert(prompt.id.clone(), self.prompts.len());
        self.prompts.push(PromptRow {
            prompt,
            state,
            marked: false,
        });
    }

    /// Adds a finished record (from the session or a run), listing its prompt if needed.
    pub fn add_record(&mut self, record: Record) {
        let id = record.prompt.id.clone();
        let state = state_of(&record.status);
        match self.rows.get(&id) {
            Some(&row) => self.prompts[row].state = state,
            None => self.push_row(record.prompt.clone(), state),
        }
        self.states_version += 1;
        self.session.apply(&LogEvent::Record {
            record: Box::new(record),
        });
        if self.current.is_none() {
            self.current = Some(id);
        }
        self.version += 1;
    }

    /// Shows another session: its records and reviews replace the ones shown (prompts stay
    /// listed, with the run state the new session gives them), and the undo stack is cleared.
    pub fn switch_session(&mut self, session: SessionState) {
        self.session = SessionState::default();
        self.undo.clear();
        self.decision = None;
        self.current = None;
        for row in &mut self.prompts {
            if !row.state.is_active() {
                row.state = RunState::NotRun;
            }
        }
        for record in session.records() {
            self.add_record(record.clone());
        }
        for record in session.records() {
            if let Some(review) = session.review_ref(&record.prompt.id) {
                self.session.apply(&LogEvent::Review {
                    prompt_id: record.prompt.id.clone(),
                    review: review.clone(),
                });
            }
        }
        self.states_version += 1;
        self.version += 1;
    }

    /// The record of a prompt id in the open session.
    pub fn record(&self, id: &str) -> Option<&Record> {
        self.session.get(id)
    }

    /// The review decision logged for a record, if any.
    pub fn review(&self, id: &str) -> Option<&Review> {
        self.session.review_ref(id)
    }

    /// Number of records in the open session.
    pub fn record_count(&self) -> usize {
        self.session.records().len()
    }

    /// The listed prompt of an id.
    pub fn prompt_row(&self, id: &str) -> Option<&PromptRow> {
        self.rows.get(id).map(|&i| &self.prompts[i])
    }

    /// Record ids in prompt-list order (the order every record list uses).
    pub fn record_ids(&self) -> Vec<String> {
        self.prompts
            .iter()
            .filter(|row| self.session.get(&row.prompt.id).is_some())
            .map(|row| row.prompt.id.clone())
            .collect()
    }

    /// The review of a record (pending when never reviewed).
    pub fn review_state(&self, id: &str) -> ReviewState {
        self.review(id).map_or(ReviewState::Pending, |r| r.state)
    }

    /// Sets a review (one that is durable in the session log), remembering the previous one
    /// for undo.
    pub fn set_review(&mut self, id: &str, review: Review) {
        let previous = self.review(id).cloned();
        self.session.apply(&LogEvent::Review {
            prompt_id: id.to_string(),
            review,
        });
        self.undo.push((id.to_string(), previous));
        self.version += 1;
    }

    /// Notes a blind pick that is durable in the session log.
    pub fn set_blind_pick(&mut self, id: &str, pick: crate::session::BlindPick) {
        self.session.apply(&LogEvent::Blind {
            prompt_id: id.to_string(),
            pick,
        });
        self.version += 1;
    }

    /// Takes back the last review decision; returns the prompt id and the review now in force.
    pub fn undo_review(&mut self) -> Option<(String, Review)> {
        let (id, previous) = self.undo.pop()?;
        let restored = previous.unwrap_or_else(pending_review);
        self.session.apply(&LogEvent::Review {
            prompt_id: id.clone(),
            review: restored.clone(),
        });
        self.version += 1;
        Some((id, restored))
    }

    /// Counts of approved, rejected and pending records.
    pub fn review_counts(&self) -> (usize, usize, usize) {
        let c = self.counts();
        (c.approved, c.rejected, c.pending)
    }

    /// Run and review counts, recomputed only after a change (drawing reads them every frame).
    pub fn counts(&self) -> Counts {
        let key = (self.version, self.states_version);
        if let Some((cached_key, counts)) = self.counts_cache.get() {
            if cached_key == key {
                return counts;
            }
        }
        let mut c = Counts::default();
        for row in &self.prompts {
            match row.state {
                RunState::Running(_) => c.running += 1,
                RunState::Queued => c.queued += 1,
                _ => {}
            }
        }
        for record in self.session.records() {
            match self.review_state(&record.prompt.id) {
                ReviewState::Approved => c.approved += 1,
                ReviewState::Rejected => c.rejected += 1,
                ReviewState::Pending => c.pending += 1,
            }
        }
        self.counts_cache.set(Some((key, c)));
        c
    }

    /// Folds a pipeline event in.
    pub fn apply(&mut self, event: PipelineEvent) {
        match event {
            PipelineEvent::Started { prompt_id } => {
                self.set_state(&prompt_id, RunState::Running(Stage::Initial));
                self.live.insert(prompt_id, LiveText::default());
            }
            PipelineEvent::StageStarted { prompt_id, stage } => {
                self.set_state(&prompt_id, RunState::Running(stage));
                self.live.entry(prompt_id).or_default().start(stage);
            }
            PipelineEvent::Token {
                prompt_id,
                stage,
                text,
            } => {
                self.token_times.push_back(Instant::now());
                self.tokens_total += 1;
                self.live
                    .entry(prompt_id)
                    .or_default()
                    .push_token(stage, &text);
            }
            PipelineEvent::StageFinished {
                prompt_id,
                stage,
                text,
            } => {
                self.live.entry(prompt_id).or_default().finish(stage, &text);
            }
            PipelineEvent::Finished { record } => {
                self.live.remove(&record.prompt.id);
                self.add_record(*record);
            }
            PipelineEvent::RunFinished { .. } => {
                self.states_version += 1;
                for row in &mut self.prompts {
                    if row.state.is_active() {
                        row.state = RunState::Cancelled;
                    }
                }
            }
        }
    }

    /// Updates the tokens-per-second figure (called on clock ticks).
    pub fn tick(&mut self, now: Instant) {
        let window = std::time::Duration::from_secs(5);
        while self
            .token_times
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            self.token_times.pop_front();
        }
        self.tokens_per_second = self.token_times.len() as f64 / window.as_secs_f64();
    }

    /// Sets a prompt's run state.
    pub fn set_state(&mut self, prompt_id: &str, state: RunState) {
        self.states_version += 1;
        if let Some(&row) = self.rows.get(prompt_id) {
            self.prompts[row].state = state;
        }
    }

    /// Number of prompts queued or running.
    pub fn active_count(&self) -> usize {
        let c = self.counts();
        c.running + c.queued
    }
}

/// The run state a stored record stands for.
fn state_of(status: &RecordStatus) -> RunState {
    match status {
        RecordStatus::Done => RunState::Done,
        RecordStatus::Failed(e) => RunState::Failed(e.clone()),
        RecordStatus::Cancelled => RunState::Cancelled,
    }
}

/// A pending review stamped now.
pub fn pending_review() -> Review {
    Review {
        state: ReviewState::Pending,
        edited: None,
        flipped: false,
        label_checked: false,
        at: now_rfc3339(),
    }
}

/// The current time as RFC 3339.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_restores_the_previous_review() {
        let mut ws = Workspace::default();
        let mut approved = pending_review();
        approved.state = ReviewState::Approved;
        ws.set_review("p1", approved);
        assert_eq!(ws.review_state("p1"), ReviewState::Approved);
        let (id, review) = ws.undo_review().unwrap();
        assert_eq!(id, "p1");
        assert_eq!(review.state, ReviewState::Pending);
        assert!(ws.undo_review().is_none());
    }
}
