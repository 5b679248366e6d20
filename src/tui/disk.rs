//! Disk work off the UI thread. Review decisions, undo, export (and its counts), import and constitution saves
//! fsync and write files; the key handler only queues them here, one worker thread carries them
//! out in the order they were asked for, and each result comes back as an
//! [`AppEvent::Disk`](super::event::AppEvent::Disk). The workbench shows a review decision only
//! once its result says it is durable, and shows failures in the status line. Dropping the
//! worker waits for the queued jobs, so quitting never loses one.

use std::path::PathBuf;
use std::sync::mpsc::{channel, Sender};
use std::thread::JoinHandle;

use tokio::sync::mpsc::UnboundedSender;

use super::bridge;
use super::event::AppEvent;
use crate::data::Prompt;
use crate::export::{ExportOptions, ExportSummary};
use crate::session::{BlindPick, Review, SharedSession};

/// Work that touches the disk.
#[derive(Debug)]
pub enum DiskJob {
    /// Make a review decision durable; `undo` says it takes back the last one.
    Review {
        session: SharedSession,
        id: String,
        review: Review,
        undo: bool,
    },
    /// Make a blind pick durable.
    Blind {
        session: SharedSession,
        id: String,
        pick: BlindPick,
    },
    /// Count what an export would write.
    PlanExport {
        session: SharedSession,
        options: ExportOptions,
    },
    /// Write the export files.
    Export {
        session: SharedSession,
        options: ExportOptions,
    },
    /// Read a prompt file.
    Import { path: PathBuf },
    /// Write a constitution file atomically.
    Save { path: PathBuf, text: String },
}

/// What a [`DiskJob`] came to.
#[derive(Debug)]
pub enum DiskDone {
    Review {
        id: String,
        review: Review,
        undo: bool,
        result: Result<(), String>,
    },
    Blind {
        id: String,
        pick: BlindPick,
        result: Result<(), String>,
    },
    ExportPlan(Result<ExportSummary, String>),
    Export(Result<ExportSummary, String>),
    Import {
        path: PathBuf,
        result: Result<Vec<Prompt>, String>,
    },
    Save {
        path: PathBuf,
        text: String,
        result: Result<(), String>,
    },
}

/// The worker thread and its queue.
pub struct DiskWorker {
    jobs: Option<Sender<DiskJob>>,
    thread: Option<JoinHandle<()>>,
    /// Jobs queued whose result has not come back yet.
    pending: usize,
}

impl DiskWorker {
    /// Starts the worker; results go to `tx`.
    pub fn new(tx: UnboundedSender<AppEvent>) -> DiskWorker {
        let (jobs, queue) = channel::<DiskJob>();
        let thread = std::thread::Builder::new()
            .name("disk".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    if tx.send(AppEvent::Disk(carry_out_reporting(job))).is_err() {
                        break;
                    }
                }
            })
            .ok();
        DiskWorker {
            jobs: Some(jobs),
            thread,
            pending: 0,
        }
    }

    /// Queues a job; `false` if the worker is gone (the job is then not done).
    pub fn submit(&mut self, job: DiskJob) -> bool {
        let sent = self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok());
        if sent {
            self.pending += 1;
        }
        sent
    }

    /// Notes that a result came back.
    pub fn finished(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    /// Jobs still in flight.
    pub fn pending(&self) -> usize {
        self.pending
    }
}

impl Drop for DiskWorker {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Carries out a job; a job that panics still gets its result, an error saying so, and the
/// worker goes on with the next.
fn carry_out_reporting(job: DiskJob) -> DiskDone {
    carry_out_reporting_with(job, carry_out)
}

/// [`carry_out_reporting`] with the work given (tests hand it work that panics).
fn carry_out_reporting_with(job: DiskJob, work: impl FnOnce(DiskJob) -> DiskDone) -> DiskDone {
    let failed = failure_of(&job);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(job))) {
        Ok(done) => done,
        Err(panic) => failed(format!(
            "internal error: {}",
            super::task::panic_message(panic.as_ref())
        )),
    }
}

/// The result a job comes to when it fails with a reason.
fn failure_of(job: &DiskJob) -> Box<dyn FnOnce(String) -> DiskDone> {
    match job {
        DiskJob::Review {
            id, review, undo, ..
        } => {
            let (id, review, undo) = (id.clone(), review.clone(), *undo);
            Box::new(move |why| DiskDone::Review {
                id,
                review,
                undo,
                result: Err(why),
            })
        }
        DiskJob::Blind { id, pick, .. } => {
            let (id, pick) = (id.clone(), pick.clone());
            Box::new(move |why| DiskDone::Blind {
                id,
                pick,
                result: Err(why),
            })
        }
        DiskJob::PlanExport { .. } => Box::new(|why| DiskDone::ExportPlan(Err(why))),
        DiskJob::Export { .. } => Box::new(|why| DiskDone::Export(Err(why))),
        DiskJob::Import { path } => {
            let path = path.clone();
            Box::new(move |why| DiskDone::Import {
                path,
                result: Err(why),
            })
        }
        DiskJob::Save { path, text } => {
            let (path, text) = (path.clone(), text.clone());
            Box::new(move |why| DiskDone::Save {
                path,
                text,
                result: Err(why),
            })
        }
    }
}

fn carry_out(job: DiskJob) -> DiskDone {
    match job {
        DiskJob::Review {
            session,
            id,
            review,
            undo,
        } => {
            let result = session
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .set_review(&id, review.clone())
                .map_err(|e| e.to_string());
            DiskDone::Review {
                id,
                review,
                undo,
                result,
            }
        }
        DiskJob::Blind { session, id, pick } => {
            let result = session
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .set_blind_pick(&id, pick.clone())
                .map_err(|e| e.to_string());
            DiskDone::Blind { id, pick, result }
        }
        DiskJob::PlanExport { session, options } => {
            DiskDone::ExportPlan(Ok(bridge::plan_shared(&session, &options)))
        }
        DiskJob::Export { session, options } => {
            DiskDone::Export(bridge::export_shared(&session, &options))
        }
        DiskJob::Import { path } => {
            let result = crate::prompts::load_prompts(&path).map_err(|e| e.to_string());
            DiskDone::Import { path, result }
        }
        DiskJob::Save { path, text } => {
            let result = crate::fsutil::write_atomic(&path, text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()));
            DiskDone::Save { path, text, result }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_jobs_report_and_the_worker_takes_the_next() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut worker = DiskWorker::new(tx);
        // A review on a session whose mutex a panicking holder poisoned (of a record it does
        // not have), then an import of a file that is not there: each gets its error back.
        let dir = tempfile::tempdir().unwrap();
        let session = crate::session::Session::create(
            &dir.path().join("s"),
            crate::session::store::tests::manifest("disk"),
        )
        .unwrap();
        let shared: SharedSession = std::sync::Arc::new(std::sync::Mutex::new(session));
        let poison = shared.clone();
        let _ = std::thread::spawn(move || {
            let _guard = poison.lock().unwrap();
            panic!("a holder of the session panicked");
        })
        .join();
        assert!(worker.submit(DiskJob::Review {
            session: shared,
            id: "nope".into(),
            review: crate::tui::workspace::pending_review(),
            undo: false,
        }));
        assert!(worker.submit(DiskJob::Import {
            path: dir.path().join("missing.jsonl"),
        }));
        let first = rx.blocking_recv().expect("the review's result");
        assert!(
            matches!(
                &first,
                AppEvent::Disk(DiskDone::Review { result: Err(_), .. })
            ),
            "{first:?}"
        );
        let second = rx.blocking_recv().expect("the next job's result");
        assert!(
            matches!(
                &second,
                AppEvent::Disk(DiskDone::Import { result: Err(_), .. })
            ),
            "{second:?}"
        );
    }

    #[test]
    fn a_panic_inside_a_job_becomes_its_error() {
        let done = carry_out_reporting_with(
            DiskJob::Import {
                path: PathBuf::from("x.jsonl"),
            },
            |_| panic!("the reader broke"),
        );
        match done {
            DiskDone::Import { result, path } => {
                assert_eq!(path, PathBuf::from("x.jsonl"));
                assert_eq!(result.unwrap_err(), "internal error: the reader broke");
            }
            other => panic!("{other:?}"),
        }
    }
}
