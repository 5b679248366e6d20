//! `cai report`: a session's summary and per-principle effects as Markdown or JSON, optionally
//! against a second session (two runs, two constitutions, or a constitution and its new
//! version) with the diff of their constitutions.

use std::path::Path;

use anyhow::Context;

use crate::constitution::Constitution;
use crate::data::Record;
use crate::insights::diff::diff;
use crate::insights::report::{Report, SessionReport};
use crate::insights::{insights, items};
use crate::quality::flag_record;
use crate::session::{Session, SessionState};

/// Output formats of `cai report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
}

/// The report of `session` (against `against`), rendered. With `reflag`, every record's flags
/// are computed again with this version's rules (to compare sessions stored by different
/// versions alike).
pub fn report(
    session: &Path,
    against: Option<&Path>,
    format: ReportFormat,
    reflag: bool,
) -> anyhow::Result<String> {
    let (a, constitution_a) = load(session, reflag)?;
    let (b, diff) = match against {
        Some(dir) => {
            let (b, constitution_b) = load(dir, reflag)?;
            let diff = match (&constitution_a, &constitution_b) {
                (Some(x), Some(y)) => Some(diff(x, y)),
                _ => None,
            };
            (Some(b), diff)
        }
        None => (None, None),
    };
    let report = Report {
        session: a,
        against: b,
        diff,
    };
    Ok(match format {
        ReportFormat::Md => report.to_markdown(),
        ReportFormat::Json => serde_json::to_string_pretty(&report)?,
    })
}

/// A session's report part and its constitution (when its snapshot reads as one).
fn load(dir: &Path, reflag: bool) -> anyhow::Result<(SessionReport, Option<Constitution>)> {
    let session = Session::open_read_only(dir)
        .with_context(|| format!("could not open session {}", dir.display()))?;
    let manifest = session.manifest();
    let margin = f64::from(manifest.settings.comparison.tie_margin);
    let state = if reflag {
        reflagged(session.state(), margin)
    } else {
        session.state().clone()
    };
    let report = SessionReport {
        session: manifest.name.clone(),
        constitution: manifest.constitution_name.clone(),
        constitution_sha256: manifest.constitution_sha256.clone(),
        policy_model: manifest.policy_model.id.clone(),
        insights: insights(&items(&state)),
    };
    // Read as written, valid or not: the diff only needs its principles and settings.
    let constitution = toml::from_str::<Constitution>(&manifest.constitution_toml).ok();
    Ok((report, constitution))
}

/// The state with every record's flags computed again.
fn reflagged(state: &SessionState, margin: f64) -> SessionState {
    let mut state = state.clone();
    state.map_records(|r: &mut Record| r.flags = Some(flag_record(r, margin)));
    state
}
