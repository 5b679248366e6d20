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

/// What an arena's directory holds, read once: its description, each contestant's session
/// state (in the manifest's order; empty for one not run yet), the matches and the picks.
#[derive(Debug, Clone)]
pub struct ArenaFiles {
    pub manifest: ArenaManifest,
    pub states: Vec<SessionState>,
    pub matches: Vec<ArenaMatch>,
    pub picks: Vec<HumanPick>,
}

/// Reads the arena in `dir`.
pub fn read_files(dir: &Path) -> anyhow::Result<ArenaFiles> {
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
    Ok(ArenaFiles {
        matches: read_matches(&dir.join(MATCHES_FILE))?,
        picks: read_picks(dir)?,
        manifest,
        states,
    })
}

/// The outcome of the arena in `dir`, from its files.
pub fn load_outcome(dir: &Path) -> anyhow::Result<ArenaOutcome> {
    read_files(dir)?.outcome()
}

impl ArenaFiles {
    /// What the arena shows.
    pub fn outcome(&self) -> anyhow::Result<ArenaOutcome> {
        arena_outcome(&self.manifest, &self.states, &self.matches, &self.picks)
            .map_err(anyhow::Error::msg)
    }

    /// The matches a person has not picked yet whose two answers differ, in the order they
    /// were played, for blind judging.
    pub fn blind_queue(&self) -> Vec<BlindPair> {
        let prompt_text = |id: &str| {
            self.states
                .iter()
                .find_map(|s| s.get(id))
                .map(|r| r.prompt.text.clone())
                .unwrap_or_default()
        };
        self.matches
            .iter()
            .filter(|m| m.head_to_head.a.trim() != m.head_to_head.b.trim())
            .filter(|m| {
                !self.picks.iter().any(|p| {
                    p.prompt_id == m.head_to_head.prompt_id && p.contestants == m.contestants
                })
            })
            .map(|m| {
                let h = &m.head_to_head;
                BlindPair {
                    prompt: prompt_text(&h.prompt_id),
                    prompt_id: h.prompt_id.clone(),
                    contestants: m.contestants.clone(),
                    answers: [h.a.clone(), h.b.clone()],
                    question: super::scores::headline(crate::ab::outcome::PromptSet::of(h.benign)),
                }
            })
            .collect()
    }
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
