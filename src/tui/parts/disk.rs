//! The disk part: hands disk work to the [`DiskWorker`] and takes its results. A review
//! decision enters the workspace only when the log has it on disk, a failure is shown in the
//! status line and the review pane, and nothing is reported saved that was not. The results
//! that belong to others (an export's counts and files, a saved constitution, imported
//! prompts) are handed back to the app to route to their owners.

use std::path::PathBuf;

use tokio::sync::mpsc::UnboundedSender;

use crate::data::Prompt;
use crate::export::{ExportOptions, ExportSummary};
use crate::session::{BlindPick, Review};
use crate::tui::bridge::SessionLink;
use crate::tui::decision::DecisionNote;
use crate::tui::disk::{DiskDone, DiskJob, DiskWorker};
use crate::tui::event::AppEvent;
use crate::tui::workspace::{pending_review, Workspace};

/// The disk part's state.
pub struct DiskPart {
    worker: DiskWorker,
    /// Review decisions (and undos) queued, not yet durable.
    reviews_in_flight: usize,
}

/// A result of disk work that another part of the workbench owns.
pub enum Routed {
    /// Nothing more to do.
    Handled,
    /// What an export would write (or why it could not be counted), for the export dialog.
    ExportPlan(Result<ExportSummary, String>),
    /// What an export wrote, for the export dialog.
    Exported(Result<ExportSummary, String>),
    /// Prompts read from a file.
    Imported {
        path: PathBuf,
        result: Result<Vec<Prompt>, String>,
    },
    /// The constitution file was written (or not).
    Saved {
        path: PathBuf,
        text: String,
        result: Result<(), String>,
    },
}

impl DiskPart {
    /// Starts the worker; results come back to `tx`.
    pub fn new(tx: UnboundedSender<AppEvent>) -> DiskPart {
        DiskPart {
            worker: DiskWorker::new(tx),
            reviews_in_flight: 0,
        }
    }

    /// Jobs queued whose result has not come back.
    pub fn pending(&self) -> usize {
        self.worker.pending()
    }

    /// Queues a review decision (or the undo of the last one); returns a status line when it
    /// could not be queued.
    pub fn queue_review(
        &mut self,
        session: &SessionLink,
        ws: &mut Workspace,
        (id, review, undo): (String, Review, bool),
    ) -> Option<String> {
        let what = if undo { "undo" } else { "review" };
        let session = match session.for_writing() {
            Ok(session) => session,
            Err(why) => return Some(decision_failed(ws, what, id, why)),
        };
        let job = DiskJob::Review {
            session,
            id: id.clone(),
            review,
            undo,
        };
        if self.worker.submit(job) {
            self.reviews_in_flight += 1;
            ws.decision = Some(DecisionNote::Saving { id, undo });
            None
        } else {
            Some(decision_failed(
                ws,
                what,
                id,
                "the disk worker stopped".into(),
            ))
        }
    }

    /// Takes back the last review decision, once the previous one is on disk.
    pub fn undo_review(&mut self, session: &SessionLink, ws: &mut Workspace) -> Option<String> {
        if self.reviews_in_flight > 0 {
            return Some("still saving the last decision; undo again in a moment".into());
        }
        match ws.undo.last() {
            Some((id, previous)) => {
                let restored = previous.clone().unwrap_or_else(pending_review);
                self.queue_review(session, ws, (id.clone(), restored, true))
            }
            None => Some("nothing to undo".into()),
        }
    }

    /// Queues a blind pick; returns a status line when it could not be queued.
    pub fn queue_blind(
        &mut self,
        session: &SessionLink,
        ws: &mut Workspace,
        id: String,
        pick: BlindPick,
    ) -> Option<String> {
        let session = match session.for_writing() {
            Ok(session) => session,
            Err(why) => return Some(decision_failed(ws, "blind pick", id, why)),
        };
        match self.submit(DiskJob::Blind {
            session,
            id: id.clone(),
            pick,
        }) {
            Ok(()) => None,
            Err(why) => Some(decision_failed(ws, "blind pick", id, why)),
        }
    }

    /// Queues counting an export; an error when it cannot be counted.
    pub fn queue_export_plan(
        &mut self,
        session: &SessionLink,
        options: ExportOptions,
    ) -> Result<(), String> {
        let session = session
            .for_reading()
            .ok_or("no session yet: run some prompts first")?;
        self.submit(DiskJob::PlanExport { session, options })
    }

    /// Queues an export; an error when it cannot be queued.
    pub fn queue_export(
        &mut self,
        session: &SessionLink,
        options: ExportOptions,
    ) -> Result<(), String> {
        let session = session
            .for_reading()
            .ok_or("no session yet: run some prompts first")?;
        self.submit(DiskJob::Export { session, options })
    }

    /// Queues reading a prompt file; returns the status line.
    pub fn queue_import(&mut self, path: PathBuf) -> String {
        match self.submit(DiskJob::Import { path: path.clone() }) {
            Ok(()) => format!("importing {}…", path.display()),
            Err(why) => format!("import failed: {why}"),
        }
    }

    /// Queues writing the constitution file; returns the status line.
    pub fn queue_save(&mut self, path: PathBuf, text: String) -> String {
        match self.submit(DiskJob::Save {
            path: path.clone(),
            text,
        }) {
            Ok(()) => format!("saving {}…", path.display()),
            Err(why) => format!("not saved: {why}"),
        }
    }

    fn submit(&mut self, job: DiskJob) -> Result<(), String> {
        if self.worker.submit(job) {
            Ok(())
        } else {
            Err("the disk worker stopped".into())
        }
    }

    /// Takes the result of disk work: review decisions are folded into `ws` here (with the
    /// status line, if any, in `notice`); the rest goes back to the app.
    pub fn done(&mut self, done: DiskDone, ws: &mut Workspace, notice: &mut String) -> Routed {
        self.worker.finished();
        match done {
            DiskDone::Review {
                id,
                review,
                undo,
                result,
            } => {
                self.reviews_in_flight = self.reviews_in_flight.saturating_sub(1);
                match (result, undo) {
                    (Ok(()), false) => {
                        let previous = ws.review(&id).cloned();
                        ws.set_review(&id, review.clone());
                        ws.decision = Some(DecisionNote::Saved {
                            id,
                            review,
                            previous,
                        });
                    }
                    (Ok(()), true) => {
                        if let Some((id, review)) = ws.undo_review() {
                            ws.decision = Some(DecisionNote::Undone { id, review });
                        }
                        *notice = "undone".into();
                    }
                    (Err(e), false) => *notice = decision_failed(ws, "review", id, e),
                    (Err(e), true) => *notice = decision_failed(ws, "undo", id, e),
                }
                Routed::Handled
            }
            DiskDone::Blind { id, pick, result } => {
                match result {
                    Ok(()) => {
                        ws.set_blind_pick(&id, pick);
                        *notice = "blind pick saved in the session log".into();
                    }
                    Err(e) => *notice = decision_failed(ws, "blind pick", id, e),
                }
                Routed::Handled
            }
            DiskDone::ExportPlan(summary) => Routed::ExportPlan(summary),
            DiskDone::Export(result) => Routed::Exported(result),
            DiskDone::Import { path, result } => Routed::Imported { path, result },
            DiskDone::Save { path, text, result } => Routed::Saved { path, text, result },
        }
    }
}

/// Marks in the review pane that a decision was not saved; returns the status line.
fn decision_failed(ws: &mut Workspace, what: &str, id: String, error: String) -> String {
    let notice = format!("{what} not saved: {error}");
    ws.decision = Some(DecisionNote::Failed { id, error });
    notice
}
