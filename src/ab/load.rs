//! Reading a finished (or partly finished) A/B run back from its directory, and finding the
//! most recent one under a sessions root: what the workbench's Insights view shows.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::run::read_head_to_head;
use super::{outcome, AbManifest, AbOutcome, Side, AB_FILE, HEAD_TO_HEAD_FILE};
use crate::constitution::Constitution;
use crate::insights::diff::diff;
use crate::session::Session;

/// The outcome of the A/B run in `dir`, from its files (sides not run yet count as empty).
pub fn load_outcome(dir: &Path) -> anyhow::Result<AbOutcome> {
    let path = dir.join(AB_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: AbManifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an A/B description", path.display()))?;
    let open = |side: Side| Session::open_read_only(&dir.join(side.dir_name())).ok();
    let (a, b) = (open(Side::A), open(Side::B));
    let constitution = |s: &Option<Session>| {
        s.as_ref()
            .and_then(|s| toml::from_str::<Constitution>(&s.manifest().constitution_toml).ok())
    };
    let diff = match (constitution(&a), constitution(&b)) {
        (Some(x), Some(y)) => Some(diff(&x, &y)),
        _ => None,
    };
    let head_to_head = read_head_to_head(&dir.join(HEAD_TO_HEAD_FILE))?;
    let empty = crate::session::SessionState::default();
    let state = |s: &Option<Session>| s.as_ref().map(|s| s.state().clone());
    let (sa, sb) = (state(&a), state(&b));
    Ok(outcome(
        &manifest,
        sa.as_ref().unwrap_or(&empty),
        sb.as_ref().unwrap_or(&empty),
        &head_to_head,
        diff,
    ))
}

/// The A/B run directly under `root` whose `ab.json` was created last, if any.
pub fn latest(root: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|dir| {
            let text = std::fs::read_to_string(dir.join(AB_FILE)).ok()?;
            let manifest: AbManifest = serde_json::from_str(&text).ok()?;
            Some((manifest.created_at, dir))
        })
        .max()
        .map(|(_, dir)| dir)
}
