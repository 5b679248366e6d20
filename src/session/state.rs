//! The replayed view of a session: records in order of first appearance and the latest review
//! of each. Built by folding [`LogEvent`]s with [`SessionState::apply`], the same way whether
//! the events come from disk on open or are appended while the program runs.

use std::collections::{HashMap, HashSet};

use crate::data::{Record, RecordStatus};

use super::{BlindPick, LogEvent, Review, ReviewState};

/// Records and reviews as the log says they are now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionState {
    records: Vec<Record>,
    /// Prompt id to position in `records`.
    index: HashMap<String, usize>,
    reviews: HashMap<String, Review>,
    blind: HashMap<String, BlindPick>,
    /// Near-tie margin for flagging records stored before flags existed (None: the default).
    tie_margin: Option<f64>,
}

/// How many records are in each status and review state. Review counts (`pending`,
/// `approved`, `rejected`, `edited`) are over done records only, the ones there are to review;
/// `edited` overlaps the others (an edited record is also approved, rejected or pending).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReviewCounts {
    pub pending: usize,
    pub approved: usize,
    pub rejected: usize,
    pub edited: usize,
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
}

/// Why a prompt id given by a person did not name exactly one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdLookup {
    NotFound,
    /// The prefix matches several ids (all listed).
    Ambiguous(Vec<String>),
}

impl SessionState {
    /// Folds one event into the state. A record replaces an earlier record of the same prompt
    /// id in place and clears its review (the review was of other content); a review replaces
    /// the earlier review of its prompt id.
    pub fn apply(&mut self, event: &LogEvent) {
        match event {
            LogEvent::Record { record } => {
                let id = record.prompt.id.clone();
                let mut record = (**record).clone();
                let margin = self
                    .tie_margin
                    .unwrap_or(crate::quality::DEFAULT_TIE_MARGIN);
                crate::quality::ensure_flags(&mut record, margin);
                match self.index.get(&id) {
                    Some(&at) => {
                        self.records[at] = record;
                        self.reviews.remove(&id);
                        self.blind.remove(&id);
                    }
                    None => {
                        self.index.insert(id, self.records.len());
                        self.records.push(record);
                    }
                }
            }
            LogEvent::Review { prompt_id, review } => {
                self.reviews.insert(prompt_id.clone(), review.clone());
            }
            LogEvent::Blind { prompt_id, pick } => {
                self.blind.insert(prompt_id.clone(), pick.clone());
            }
        }
    }

    /// The state after folding all `events` in order.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a LogEvent>) -> SessionState {
        SessionState::default().with_events(events)
    }

    /// An empty state whose records stored without quality flags get them with this near-tie
    /// margin (the session's constitution setting).
    pub fn with_tie_margin(tie_margin: f64) -> SessionState {
        SessionState {
            tie_margin: Some(tie_margin),
            ..SessionState::default()
        }
    }

    /// This state after folding all `events` in order.
    pub fn with_events<'a>(mut self, events: impl IntoIterator<Item = &'a LogEvent>) -> Self {
        for event in events {
            self.apply(event);
        }
        self
    }

    /// All records, in order of first appearance.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The record of a prompt id.
    pub fn get(&self, prompt_id: &str) -> Option<&Record> {
        self.index.get(prompt_id).map(|&i| &self.records[i])
    }

    /// The current review of a prompt id: pending (with an empty timestamp) when none.
    pub fn review(&self, prompt_id: &str) -> Review {
        self.reviews.get(prompt_id).cloned().unwrap_or(Review {
            state: ReviewState::Pending,
            edited: None,
            flipped: false,
            label_checked: false,
            at: String::new(),
        })
    }

    /// Changes every record in place (e.g. to compute its flags again).
    pub fn map_records(&mut self, mut f: impl FnMut(&mut Record)) {
        self.records.iter_mut().for_each(&mut f);
    }

    /// The blind pick logged for a prompt id, if any.
    pub fn blind_pick(&self, prompt_id: &str) -> Option<&BlindPick> {
        self.blind.get(prompt_id)
    }

    /// The review decision logged for a prompt id, if any.
    pub fn review_ref(&self, prompt_id: &str) -> Option<&Review> {
        self.reviews.get(prompt_id)
    }

    /// Prompt ids whose record is done; failed and cancelled prompts are run again on resume.
    pub fn finished_ids(&self) -> HashSet<String> {
        self.records
            .iter()
            .filter(|r| r.status == RecordStatus::Done)
            .map(|r| r.prompt.id.clone())
            .collect()
    }

    /// Counts per status and review state.
    pub fn counts(&self) -> ReviewCounts {
        let mut counts = ReviewCounts::default();
        for record in &self.records {
            match record.status {
                RecordStatus::Done => counts.done += 1,
                RecordStatus::Failed(_) => counts.failed += 1,
                RecordStatus::Cancelled => counts.cancelled += 1,
            }
            if record.status != RecordStatus::Done {
                continue;
            }
            let review = self.reviews.get(&record.prompt.id);
            match review.map_or(ReviewState::Pending, |r| r.state) {
                ReviewState::Pending => counts.pending += 1,
                ReviewState::Approved => counts.approved += 1,
                ReviewState::Rejected => counts.rejected += 1,
            }
            if review.is_some_and(|r| r.edited.is_some()) {
                counts.edited += 1;
            }
        }
        counts
    }

    /// The one record id equal to `query`, or else the one starting with it.
    pub fn resolve_id(&self, query: &str) -> Result<&str, IdLookup> {
        if let Some(record) = self.get(query) {
            return Ok(&record.prompt.id);
        }
        let matches: Vec<&str> = self
            .records
            .iter()
            .map(|r| r.prompt.id.as_str())
            .filter(|id| !query.is_empty() && id.starts_with(query))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(IdLookup::NotFound),
            many => Err(IdLookup::Ambiguous(
                many.iter().map(|s| s.to_string()).collect(),
            )),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::FinishReason;
    use crate::data::{Prompt, Response};

    /// A small record for tests: `status` done/failed/cancelled, one initial response, its
    /// quality flags computed (as the runner stores them).
    pub(crate) fn record(text: &str, status: RecordStatus, answer: &str) -> Record {
        let mut record = Record {
            prompt: Prompt::new(text, None),
            initial: Some(Response {
                text: answer.to_string(),
                evasive: false,
                tokens: 3,
                finish: FinishReason::Stop,
            }),
            rounds: vec![],
            comparison: None,
            status,
            started_at: "2024-01-01T00:00:00Z".into(),
            finished_at: "2024-01-01T00:00:05Z".into(),
            generated_tokens: 3,
            seconds: 5.0,
            flags: None,
            served_by: Vec::new(),
        };
        crate::quality::ensure_flags(&mut record, 0.05);
        record
    }

    fn review(state: ReviewState, at: &str) -> Review {
        Review {
            state,
            edited: None,
            flipped: false,
            label_checked: false,
            at: at.into(),
        }
    }

    fn rec_event(r: &Record) -> LogEvent {
        LogEvent::Record {
            record: Box::new(r.clone()),
        }
    }

    #[test]
    fn later_record_replaces_earlier_in_place() {
        let a = record("a", RecordStatus::Failed("boom".into()), "");
        let b = record("b", RecordStatus::Done, "fine");
        let a2 = record("a", RecordStatus::Done, "fixed");
        let state = SessionState::from_events(&[rec_event(&a), rec_event(&b), rec_event(&a2)]);
        assert_eq!(state.records().len(), 2);
        assert_eq!(state.records()[0], a2);
        assert_eq!(state.records()[1], b);
        assert_eq!(state.get(&a.prompt.id).unwrap().status, RecordStatus::Done);
    }

    #[test]
    fn latest_review_wins_and_replacement_clears_it() {
        let a = record("a", RecordStatus::Done, "x");
        let id = a.prompt.id.clone();
        let mut state = SessionState::default();
        state.apply(&rec_event(&a));
        assert_eq!(state.review(&id).state, ReviewState::Pending);
        for (s, at) in [(ReviewState::Approved, "1"), (ReviewState::Rejected, "2")] {
            state.apply(&LogEvent::Review {
                prompt_id: id.clone(),
                review: review(s, at),
            });
        }
        assert_eq!(state.review(&id), review(ReviewState::Rejected, "2"));
        state.apply(&rec_event(&a));
        assert_eq!(state.review(&id).state, ReviewState::Pending);
    }

    #[test]
    fn finished_ids_are_done_only_and_counts_add_up() {
        let done = record("d", RecordStatus::Done, "x");
        let done2 = record("e", RecordStatus::Done, "y");
        let failed = record("f", RecordStatus::Failed("x".into()), "");
        let cancelled = record("c", RecordStatus::Cancelled, "");
        let mut state =
            SessionState::from_events(&[&done, &done2, &failed, &cancelled].map(rec_event));
        let mut edited = review(ReviewState::Approved, "1");
        edited.edited = Some("better".into());
        state.apply(&LogEvent::Review {
            prompt_id: done.prompt.id.clone(),
            review: edited,
        });
        state.apply(&LogEvent::Review {
            prompt_id: failed.prompt.id.clone(),
            review: review(ReviewState::Rejected, "1"),
        });
        let ids = state.finished_ids();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&done.prompt.id) && ids.contains(&done2.prompt.id));
        let c = state.counts();
        assert_eq!((c.done, c.failed, c.cancelled), (2, 1, 1));
        assert_eq!((c.pending, c.approved, c.rejected, c.edited), (1, 1, 0, 1));
    }

    #[test]
    fn ids_resolve_by_unique_prefix() {
        let a = record("a", RecordStatus::Done, "x");
        let state = SessionState::from_events(&[rec_event(&a)]);
        assert_eq!(
            state.resolve_id(&a.prompt.id[..4]),
            Ok(a.prompt.id.as_str())
        );
        assert_eq!(state.resolve_id("zzzz"), Err(IdLookup::NotFound));
        assert_eq!(state.resolve_id(""), Err(IdLookup::NotFound));
    }

    /// Degenerate: the same words over and over.
    const LOOP: &str = "It's a lie. It's a lie. It's a lie. It's a lie. It's a lie. It's a lie. \
                        It's a lie. It's a lie. It's a lie.";

    #[test]
    fn flags_survive_serialisation_and_old_records_get_them_on_replay() {
        let r = crate::quality::tests::record(
            "q",
            "Fine.",
            vec![crate::quality::tests::round(
                "harm",
                "Fine.",
                crate::quality::tests::answer(LOOP),
            )],
        );
        // An old record: no "flags" key at all.
        let json = serde_json::to_value(LogEvent::Record {
            record: Box::new(r.clone()),
        })
        .unwrap();
        assert!(json["record"].get("flags").is_none());
        let event: LogEvent = serde_json::from_value(json).unwrap();
        let state = SessionState::from_events(&[event]);
        let replayed = &state.records()[0];
        assert_eq!(
            crate::quality::kinds(replayed),
            vec![crate::data::FlagKind::Degenerate]
        );
        // Stored flags are kept as they are (not recomputed).
        let mut stored = r.clone();
        stored.flags = Some(vec![]);
        let line = serde_json::to_string(&LogEvent::Record {
            record: Box::new(stored),
        })
        .unwrap();
        let event: LogEvent = serde_json::from_str(&line).unwrap();
        assert!(SessionState::from_events(&[event]).records()[0]
            .flags()
            .is_empty());
    }
}
