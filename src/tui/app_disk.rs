//! How the app hands disk work to the [`DiskWorker`](super::disk::DiskWorker) and folds its
//! results back in: a review decision enters the workspace only when the log has it on disk,
//! a failure is shown in the status line, and nothing is reported saved that was not.

use std::path::PathBuf;

use super::app::App;
use super::bridge::ExportChoice;
use super::decision::DecisionNote;
use super::disk::{DiskDone, DiskJob};
use super::views::popups::Popup;
use super::workspace::pending_review;
use crate::session::Review;

impl App {
    /// Queues a review decision (or the undo of the last one) to be made durable.
    pub(crate) fn queue_review(&mut self, id: String, review: Review, undo: bool) {
        let what = if undo { "undo" } else { "review" };
        let session = match self.session.for_writing() {
            Ok(session) => session,
            Err(why) => return self.decision_failed(what, id, why),
        };
        let job = DiskJob::Review {
            session,
            id: id.clone(),
            review,
            undo,
        };
        if self.disk.submit(job) {
            self.reviews_in_flight += 1;
            self.ws.decision = Some(DecisionNote::Saving { id, undo });
        } else {
            self.decision_failed(what, id, "the disk worker stopped".into());
        }
    }

    /// Says in the status line and the review pane that a decision was not saved.
    fn decision_failed(&mut self, what: &str, id: String, error: String) {
        self.notice = format!("{what} not saved: {error}");
        self.ws.decision = Some(DecisionNote::Failed { id, error });
    }

    /// Takes back the last review decision, once the previous one is on disk.
    pub(crate) fn undo_review(&mut self) {
        if self.reviews_in_flight > 0 {
            self.notice = "still saving the last decision; undo again in a moment".into();
            return;
        }
        match self.ws.undo.last() {
            Some((id, previous)) => {
                let restored = previous.clone().unwrap_or_else(pending_review);
                self.queue_review(id.clone(), restored, true);
            }
            None => self.notice = "nothing to undo".into(),
        }
    }

    /// Queues an export of the session.
    pub(crate) fn queue_export(&mut self, choice: ExportChoice) {
        let result = match self.session.for_reading() {
            Some(session) => {
                if self.disk.submit(DiskJob::Export { session, choice }) {
                    self.notice = "exporting…".into();
                    return;
                }
                Err("the disk worker stopped".to_string())
            }
            None => Err("no session yet: run some prompts first".to_string()),
        };
        self.export_finished(result);
    }

    /// Queues reading a prompt file.
    pub(crate) fn queue_import(&mut self, path: PathBuf) {
        self.notice = if self.disk.submit(DiskJob::Import { path: path.clone() }) {
            format!("importing {}…", path.display())
        } else {
            "import failed: the disk worker stopped".into()
        };
    }

    /// Queues writing the constitution file.
    pub(crate) fn queue_save(&mut self, path: PathBuf, text: String) {
        self.notice = if self.disk.submit(DiskJob::Save {
            path: path.clone(),
            text,
        }) {
            format!("saving {}…", path.display())
        } else {
            "not saved: the disk worker stopped".into()
        };
    }

    /// Folds in the result of disk work.
    pub(crate) fn disk_done(&mut self, done: DiskDone) {
        self.disk.finished();
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
                        let previous = self.ws.reviews.get(&id).cloned();
                        self.ws.set_review(&id, review.clone());
                        self.ws.decision = Some(DecisionNote::Saved {
                            id,
                            review,
                            previous,
                        });
                    }
                    (Ok(()), true) => {
                        if let Some((id, review)) = self.ws.undo_review() {
                            self.ws.decision = Some(DecisionNote::Undone { id, review });
                        }
                        self.notice = "undone".into();
                    }
                    (Err(e), false) => self.decision_failed("review", id, e),
                    (Err(e), true) => self.decision_failed("undo", id, e),
                }
            }
            DiskDone::Export(result) => self.export_finished(result),
            DiskDone::Import { path, result } => match result {
                Ok(prompts) => {
                    let total = prompts.len();
                    let added = self.ws.add_prompts(prompts);
                    self.notice = format!(
                        "imported {added} new prompts ({total} in {})",
                        path.display()
                    );
                }
                Err(e) => self.notice = format!("import failed: {e}"),
            },
            DiskDone::Save { path, text, result } => {
                self.notice = match result {
                    Ok(()) => self.views.constitution.saved(path, &text),
                    Err(e) => format!("not saved: {e}"),
                };
            }
        }
    }

    fn export_finished(&mut self, result: Result<super::bridge::ExportCounts, String>) {
        self.notice = match &result {
            Ok(counts) => format!("exported {} file(s)", counts.files.len()),
            Err(e) => format!("export failed: {e}"),
        };
        if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
            dialog.finished(result);
        }
    }
}
