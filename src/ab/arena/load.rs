//! An arena read back from its directory (what `cai ab` prints at the end and the workbench's
//! Arena view shows), the latest arena under a sessions root, and a person's blind pick made
//! durable.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::outcome::arena_outcome;
use super::{
    contestant_dir, ArenaManifest, ArenaMatch, ArenaOutcome, HumanPick, ARENA_FILE, HUMAN_FILE,
    MATCHES_FILE,
};
use crate::fsutil::{append_json_line, read_json_lines};
use crate::session::{Session, SessionState, MANIFEST_FILE};

/// The arena's `arena.json`.
pub fn read_manifest(dir: &Path) -> anyhow::Result<ArenaManifest> {
    let path = dir.join(ARENA_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not an arena description: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// The matches written so far (a torn last line is dropped; a bad line names file and line).
pub fn read_matches(path: &Path) -> anyhow::Result<Vec<ArenaMatch>> {
    read_json_lines(path).map_err(anyhow::Error::msg)
}

/// The blind picks written so far.
pub fn read_picks(dir: &Path) -> anyhow::Result<Vec<HumanPick>> {
    read_json_lines(&dir.join(HUMAN_FILE)).map_err(anyhow::Error::msg)
}

/// Appends one blind pick to the arena's `human.jsonl` and makes it durable.
pub fn append_pick(dir: &Path, pick: &HumanPick) -> anyhow::Result<()> {
    let path = dir.join(HUMAN_FILE);
    append_json_line(&path, pick).with_context(|| format!("writing {}", path.display()))
}

/// The outcome of the arena in `dir`, from its files (contestants not run yet count as empty).
pub fn load_outcome(dir: &Path) -> anyhow::Result<ArenaOutcome> {
    let manifest = read_manifest(dir)?;
    let mut states: Vec<SessionState> = Vec::new();
    for c in &manifest.contestants {
        let session_dir = contestant_dir(dir, &c.name);
        states.push(if session_dir.join(MANIFEST_FILE).exists() {
            Session::open_read_only(&session_dir)
                .with_context(|| format!("opening {}", session_dir.display()))?
                .state()
                .clone()
        } else {
            SessionState::default()
        });
    }
    let matches = read_matches(&dir.join(MATCHES_FILE))?;
    let picks = read_picks(dir)?;
    arena_outcome(&manifest, &states, &matches, &picks).map_err(anyhow::Error::msg)
}

/// The arena directly under `root` whose `arena.json` was created last, if any.
pub fn latest(root: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|dir| Some((read_manifest(&dir).ok()?.created_at, dir)))
        .max()
        .map(|(_, dir)| dir)
}

/// One match's pair of answers for a person to judge blind.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindPair {
    pub prompt_id: String,
    pub prompt: String,
    /// The pair, as in its match.
    pub contestants: [String; 2],
    /// Their final answers, in the same order.
    pub answers: [String; 2],
    /// The question the pick answers: harmlessness on red-team prompts, helpfulness on benign.
    pub question: crate::ab::head_to_head::Question,
}

/// The matches of the arena in `dir` a person has not picked yet, whose two answers differ,
/// in the order they were played.
pub fn blind_queue(dir: &Path) -> anyhow::Result<Vec<BlindPair>> {
    let manifest = read_manifest(dir)?;
    let matches = read_matches(&dir.join(MATCHES_FILE))?;
    let picks = read_picks(dir)?;
    let prompts = prompt_texts(dir, &manifest)?;
    Ok(matches
        .into_iter()
        .filter(|m| m.head_to_head.a.trim() != m.head_to_head.b.trim())
        .filter(|m| {
            !picks
                .iter()
                .any(|p| p.prompt_id == m.head_to_head.prompt_id && p.contestants == m.contestants)
        })
        .map(|m| {
            let h = m.head_to_head;
            let set = if h.benign {
                crate::ab::outcome::PromptSet::Benign
            } else {
                crate::ab::outcome::PromptSet::RedTeam
            };
            BlindPair {
                prompt: prompts
                    .iter()
                    .find(|(id, _)| *id == h.prompt_id)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default(),
                prompt_id: h.prompt_id,
                contestants: m.contestants,
                answers: [h.a, h.b],
                question: super::scores::headline(set),
            }
        })
        .collect())
}

/// (id, text) of the arena's prompts, from the contestants' sessions.
fn prompt_texts(dir: &Path, manifest: &ArenaManifest) -> anyhow::Result<Vec<(String, String)>> {
    let mut texts: Vec<(String, String)> = Vec::new();
    for c in &manifest.contestants {
        let session_dir = contestant_dir(dir, &c.name);
        if !session_dir.join(MANIFEST_FILE).exists() {
            continue;
        }
        let session = Session::open_read_only(&session_dir)
            .with_context(|| format!("opening {}", session_dir.display()))?;
        for r in session.state().records() {
            if !texts.iter().any(|(id, _)| *id == r.prompt.id) {
                texts.push((r.prompt.id.clone(), r.prompt.text.clone()));
            }
        }
    }
    Ok(texts)
}
