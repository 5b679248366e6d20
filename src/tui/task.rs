//! The one way the workbench starts background work: [`spawn_reporting`] runs a future on the
//! runtime and always sends exactly one final event, with the future's result or, when it
//! panicked, a message saying what panicked. Nothing the workbench waits for (a model load, a
//! try, an A/B run) can go silent and leave it waiting forever.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;

use super::event::AppEvent;

/// Runs `work` in the background; when it ends, `done` turns its result into the final event.
/// A panic inside `work` becomes `Err("<what> failed: internal error: <panic message>")`.
/// Returns the task's handle (aborting it sends no final event: only for shutdown).
pub fn spawn_reporting<T, F>(
    tx: UnboundedSender<AppEvent>,
    what: &'static str,
    work: F,
    done: impl FnOnce(Result<T, String>) -> AppEvent + Send + 'static,
) -> tokio::task::JoinHandle<()>
where
    T: Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    tokio::spawn(async move {
        let result = match AssertUnwindSafe(work).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => Err(format!(
                "{what} failed: internal error: {}",
                panic_message(panic.as_ref())
            )),
        };
        let _ = tx.send(done(result));
    })
}

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_still_sends_its_final_event_saying_so() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        spawn_reporting(
            tx,
            "loading the model",
            async {
                if true {
                    panic!("boom in the loader");
                }
                Ok(())
            },
            |r: Result<(), String>| AppEvent::Notice(r.unwrap_err()),
        );
        match rx.recv().await {
            Some(AppEvent::Notice(line)) => assert_eq!(
                line,
                "loading the model failed: internal error: boom in the loader"
            ),
            other => panic!("expected the final event, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_finished_task_sends_its_result() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        spawn_reporting(
            tx,
            "x",
            async { Ok::<_, String>("fine".to_string()) },
            |r| AppEvent::Notice(r.unwrap()),
        );
        assert!(matches!(rx.recv().await, Some(AppEvent::Notice(l)) if l == "fine"));
    }
}
