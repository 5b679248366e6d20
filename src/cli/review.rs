//! `cai review`: record review decisions in a session from the command line, the same events
//! the workbench's review screen writes.

use std::path::Path;

use anyhow::Context;

use crate::data::RecordStatus;
use crate::session::{Review, ReviewState, Session};

/// One review command. Ids may be given as a unique prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewAction {
    /// Approve a record (keeping an edit or flip it already has).
    Approve(String),
    /// Reject a record (keeping an edit or flip it already has).
    Reject(String),
    /// Approve every done record still pending.
    ApproveAll,
    /// Back to pending, dropping any edit and flip.
    Reset(String),
}

/// Applies `action` to the session in `session_dir`; returns a one-line summary.
pub fn review(session_dir: &Path, action: ReviewAction) -> anyhow::Result<String> {
    let mut session = Session::open(session_dir)
        .with_context(|| format!("could not open session {}", session_dir.display()))?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let summary = match action {
        ReviewAction::Approve(query) => decide(&mut session, &query, ReviewState::Approved, now)?,
        ReviewAction::Reject(query) => decide(&mut session, &query, ReviewState::Rejected, now)?,
        ReviewAction::Reset(query) => {
            let id = session.resolve_id(&query)?;
            let review = Review {
                state: ReviewState::Pending,
                edited: None,
                flipped: false,
                label_checked: false,
                at: now,
            };
            session.set_review(&id, review)?;
            format!("{id}: reset to pending")
        }
        ReviewAction::ApproveAll => {
            let pending: Vec<String> = session
                .state()
                .records()
                .iter()
                .filter(|r| r.status == RecordStatus::Done)
                .filter(|r| session.state().review(&r.prompt.id).state == ReviewState::Pending)
                .map(|r| r.prompt.id.clone())
                .collect();
            for id in &pending {
                let mut review = session.state().review(id);
                review.state = ReviewState::Approved;
                review.at = now.clone();
                session.set_review(id, review)?;
            }
            let c = session.state().counts();
            format!(
                "approved {} pending records ({} approved, {} rejected, {} pending of {} done)",
                pending.len(),
                c.approved,
                c.rejected,
                c.pending,
                c.done
            )
        }
    };
    Ok(summary)
}

/// Approves or rejects one record, keeping its edit and flip.
fn decide(
    session: &mut Session,
    query: &str,
    state: ReviewState,
    at: String,
) -> anyhow::Result<String> {
    let id = session.resolve_id(query)?;
    let status = session.state().get(&id).map(|r| r.status.clone());
    let mut review = session.state().review(&id);
    review.state = state;
    review.at = at;
    session.set_review(&id, review)?;
    let word = if state == ReviewState::Approved {
        "approved"
    } else {
        "rejected"
    };
    let note = match status {
        Some(RecordStatus::Done) | None => String::new(),
        Some(_) if state == ReviewState::Approved => {
            " (note: the record is not done, so export will leave it out)".to_string()
        }
        Some(_) => String::new(),
    };
    Ok(format!("{id}: {word}{note}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::state::tests::record;
    use crate::session::store::tests::manifest;

    fn setup() -> (tempfile::TempDir, Vec<String>) {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Session::create(tmp.path(), manifest("r")).unwrap();
        let recs = [
            record("one", RecordStatus::Done, "a"),
            record("two", RecordStatus::Done, "b"),
            record("three", RecordStatus::Failed("x".into()), ""),
        ];
        for r in &recs {
            s.append_record(r).unwrap();
        }
        (tmp, recs.iter().map(|r| r.prompt.id.clone()).collect())
    }

    #[test]
    fn approve_reject_reset_by_prefix() {
        let (tmp, ids) = setup();
        let out = review(tmp.path(), ReviewAction::Reject(ids[0][..6].to_string())).unwrap();
        assert_eq!(out, format!("{}: rejected", ids[0]));
        let out = review(tmp.path(), ReviewAction::Approve(ids[2].clone())).unwrap();
        assert!(out.contains("not done"), "{out}");
        review(tmp.path(), ReviewAction::Reset(ids[2].clone())).unwrap();
        let s = Session::open(tmp.path()).unwrap();
        assert_eq!(s.state().review(&ids[0]).state, ReviewState::Rejected);
        assert_eq!(s.state().review(&ids[2]).state, ReviewState::Pending);
        assert!(review(tmp.path(), ReviewAction::Approve("zz".into())).is_err());
    }

    #[test]
    fn approve_all_approves_pending_done_only() {
        let (tmp, ids) = setup();
        review(tmp.path(), ReviewAction::Reject(ids[0].clone())).unwrap();
        let out = review(tmp.path(), ReviewAction::ApproveAll).unwrap();
        assert!(out.starts_with("approved 1 pending records"), "{out}");
        let s = Session::open(tmp.path()).unwrap();
        assert_eq!(s.state().review(&ids[0]).state, ReviewState::Rejected);
        assert_eq!(s.state().review(&ids[1]).state, ReviewState::Approved);
        assert_eq!(s.state().review(&ids[2]).state, ReviewState::Pending);
    }
}
