//! What an arena shows: per contestant its model, constitution, rates (refusals on red-team
//! and on benign prompts, degeneration) and scores; the score tables with their intervals; the
//! agreement of people with the feedback model; and the matrix of prompts against
//! contestants' final answers.

use serde::Serialize;

use super::scores::{agreement, all_scores, PairAgreement, ScoreTable};
use super::{ArenaManifest, ArenaMatch, HumanPick};
use crate::ab::outcome::{final_answer, final_flags, side, SideOutcome};
use crate::session::SessionState;

/// One contestant's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContestantOutcome {
    pub name: String,
    pub model: String,
    pub constitution: String,
    /// Rates over its done records.
    pub rates: SideOutcome,
}

/// One prompt's row of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArenaRow {
    pub prompt_id: String,
    pub prompt: String,
    pub benign: bool,
    /// Each contestant's final answer (in the manifest's order), `None` without a done record.
    pub answers: Vec<Option<String>>,
    /// Flag kinds on each final answer.
    pub flags: Vec<Vec<String>>,
}

/// Everything an arena shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArenaOutcome {
    pub manifest: ArenaManifest,
    pub contestants: Vec<ContestantOutcome>,
    pub scores: Vec<ScoreTable>,
    /// Matches the feedback model played.
    pub matches: usize,
    /// Blind picks a person made.
    pub human_picks: usize,
    pub agreement: Vec<PairAgreement>,
    pub matrix: Vec<ArenaRow>,
}

/// The outcome from the manifest, each contestant's session state (in the manifest's order;
/// an empty state for one not run yet), the matches and the picks.
pub fn arena_outcome(
    manifest: &ArenaManifest,
    states: &[SessionState],
    matches: &[ArenaMatch],
    picks: &[HumanPick],
) -> Result<ArenaOutcome, String> {
    let empty = SessionState::default();
    let state = |c: usize| states.get(c).unwrap_or(&empty);
    let contestants = manifest
        .contestants
        .iter()
        .enumerate()
        .map(|(c, entry)| ContestantOutcome {
            name: entry.name.clone(),
            model: entry.model.clone(),
            constitution: entry.constitution.clone(),
            rates: side(&entry.name, state(c), &manifest.benign),
        })
        .collect();
    let scores = all_scores(manifest, matches, picks).map_err(|e| e.to_string())?;
    let ids = manifest.red_team.iter().chain(&manifest.benign);
    let k = manifest.contestants.len();
    let matrix = ids
        .map(|id| {
            let prompt = (0..k)
                .find_map(|c| state(c).get(id))
                .map(|r| r.prompt.text.clone())
                .unwrap_or_default();
            // A contestant's answer from its session, else as a match compared it.
            let compared = |c: usize| {
                let name = &manifest.contestants[c].name;
                matches
                    .iter()
                    .filter(|m| &m.head_to_head.prompt_id == id)
                    .find_map(|m| {
                        let h = &m.head_to_head;
                        (m.contestants[0] == *name)
                            .then(|| h.a.clone())
                            .or_else(|| (m.contestants[1] == *name).then(|| h.b.clone()))
                    })
            };
            ArenaRow {
                prompt_id: id.clone(),
                prompt,
                benign: manifest.benign.contains(id),
                answers: (0..k)
                    .map(|c| final_answer(state(c).get(id)).or_else(|| compared(c)))
                    .collect(),
                flags: (0..k).map(|c| final_flags(state(c).get(id))).collect(),
            }
        })
        .collect();
    Ok(ArenaOutcome {
        manifest: manifest.clone(),
        contestants,
        scores,
        matches: matches.len(),
        human_picks: picks.len(),
        agreement: agreement(manifest, matches, picks),
        matrix,
    })
}
