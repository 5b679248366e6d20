//! The one event type the workbench loop consumes, and the task that turns terminal input and
//! a clock into those events. Any task (model loading, a run, an export) sends events through a
//! cloned sender; the loop drains them all before drawing.

use std::time::Duration;

use futures::StreamExt;
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};
use tokio::sync::mpsc::UnboundedSender;

use crate::model::Models;
use crate::pipeline::PipelineEvent;

/// How often the clock ticks (spinner, tokens per second).
pub const TICK: Duration = Duration::from_millis(250);

/// Everything that can change what the workbench shows.
pub enum AppEvent {
    /// A key was pressed.
    Key(KeyEvent),
    /// The mouse was clicked or scrolled.
    Mouse(MouseEvent),
    /// The terminal changed size.
    Resize(u16, u16),
    /// Text pasted into the terminal (bracketed paste), as one piece.
    Paste(String),
    /// The clock ticked.
    Tick,
    /// Progress of a run.
    Pipeline(PipelineEvent),
    /// Progress of trying one principle from the constitution editor.
    Try(PipelineEvent),
    /// The try ended: done or cancelled, or why it failed.
    TryEnded(Result<super::bridge::TryEnd, String>),
    /// A status line while the model downloads or loads.
    ModelStatus(String),
    /// The model finished loading (or failed to).
    ModelReady(Result<Models, String>),
    /// A background job (import, export) reported a result line.
    Notice(String),
    /// Disk work queued on the disk worker finished.
    Disk(super::disk::DiskDone),
    /// The latest judge eval, read at start.
    Eval(Result<Box<(std::path::PathBuf, crate::eval::SavedEval)>, String>),
    /// Progress or the result of an A/B run.
    Ab(super::parts::ab::AbUpdate),
    /// The latest arena, read at start and again after each blind pick of its pairs.
    Arena(Result<Box<super::views::arena::LoadedArena>, String>),
}

impl std::fmt::Debug for AppEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppEvent::Key(k) => write!(f, "Key({k:?})"),
            AppEvent::Mouse(m) => write!(f, "Mouse({m:?})"),
            AppEvent::Resize(w, h) => write!(f, "Resize({w}, {h})"),
            AppEvent::Paste(s) => write!(f, "Paste({} bytes)", s.len()),
            AppEvent::Tick => write!(f, "Tick"),
            AppEvent::Pipeline(e) => write!(f, "Pipeline({e:?})"),
            AppEvent::Try(e) => write!(f, "Try({e:?})"),
            AppEvent::TryEnded(r) => write!(f, "TryEnded({r:?})"),
            AppEvent::ModelStatus(s) => write!(f, "ModelStatus({s:?})"),
            AppEvent::ModelReady(r) => write!(f, "ModelReady(ok: {})", r.is_ok()),
            AppEvent::Notice(s) => write!(f, "Notice({s:?})"),
            AppEvent::Disk(d) => write!(f, "Disk({d:?})"),
            AppEvent::Ab(u) => write!(f, "Ab({u:?})"),
            AppEvent::Eval(r) => write!(f, "Eval(ok: {})", r.is_ok()),
            AppEvent::Arena(r) => write!(f, "Arena(ok: {})", r.is_ok()),
        }
    }
}

/// Reads terminal events and ticks the clock until the receiver is gone.
pub fn spawn_input_reader(tx: UnboundedSender<AppEvent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stream = ratatui::crossterm::event::EventStream::new();
        let mut tick = tokio::time::interval(TICK);
        loop {
            let event = tokio::select! {
                _ = tick.tick() => AppEvent::Tick,
                next = stream.next() => match next {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => AppEvent::Key(key),
                    Some(Ok(Event::Mouse(mouse))) => AppEvent::Mouse(mouse),
                    Some(Ok(Event::Resize(w, h))) => AppEvent::Resize(w, h),
                    Some(Ok(Event::Paste(text))) => AppEvent::Paste(text),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        tracing::warn!("terminal input failed: {e}");
                        break;
                    }
                    None => break,
                },
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    })
}
