//! The run part: the run in progress, the try of one principle from the constitution editor,
//! and prompts asked to run while the model was still loading (started once it is ready).
//! Quitting while prompts run cancels them and waits, up to [`QUIT_WAIT`], for their records
//! (partial, marked cancelled) to reach the session log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::models::ModelState;
use crate::constitution::Constitution;
use crate::data::Prompt;
use crate::pipeline::runner::RunOptions;
use crate::pipeline::PipelineEvent;
use crate::session::SessionState;
use crate::tui::bridge::{self, RunControl, SessionLink};
use crate::tui::event::AppEvent;
use crate::tui::views::prompts::{plural, RunSettings};
use crate::tui::workspace::{RunState, Workspace};

/// How long quitting waits for the records of cancelled prompts to be written.
pub const QUIT_WAIT: Duration = Duration::from_secs(10);

/// The run part's state.
#[derive(Default)]
pub struct RunPart {
    run: Option<RunControl>,
    try_run: Option<RunControl>,
    /// Prompts asked to run while the model was still loading.
    waiting: Vec<Prompt>,
    /// Set when quit was asked while prompts ran: until when to wait for their records.
    quitting: Option<Instant>,
}

/// What a run is started with, besides its prompts.
pub struct RunInputs<'a> {
    pub model: &'a ModelState,
    /// The constitution being edited, or why it cannot run.
    pub constitution: Result<Constitution, String>,
    /// Its text (the session's snapshot and hash).
    pub text: &'a str,
    pub settings: RunSettings,
    pub tx: &'a UnboundedSender<AppEvent>,
}

impl RunPart {
    /// Whether a run is in progress.
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// Whether a try is in progress.
    pub fn is_trying(&self) -> bool {
        self.try_run.is_some()
    }

    /// Whether prompts wait for the model to load.
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Starts `prompts` (or queues them while the model loads); returns the status line.
    pub fn start(
        &mut self,
        prompts: Vec<Prompt>,
        inputs: RunInputs<'_>,
        session: &mut SessionLink,
        ws: &mut Workspace,
    ) -> String {
        if prompts.is_empty() {
            return "nothing to run".into();
        }
        let constitution = match inputs.constitution {
            Ok(c) => Arc::new(c),
            Err(message) => return message,
        };
        let models = match inputs.model {
            ModelState::Ready(models) => models.clone(),
            ModelState::Loading(_) => {
                for prompt in &prompts {
                    ws.set_state(&prompt.id, RunState::Queued);
                }
                let notice = format!("model loading: {} queued", plural(prompts.len(), "prompt"));
                self.waiting.extend(prompts);
                return notice;
            }
            ModelState::Failed(e) => return format!("cannot run: the model failed to load ({e})"),
        };
        if self.run.is_some() {
            return "a run is in progress; wait for it or cancel it".into();
        }
        let ids: Vec<String> = prompts.iter().map(|p| p.id.clone()).collect();
        let events = forward(inputs.tx.clone(), AppEvent::Pipeline);
        let settings = inputs.settings;
        let opts = RunOptions {
            concurrency: settings.concurrency,
            compare: settings.compare,
            rounds: None,
        };
        match bridge::start_run(
            models,
            (constitution, inputs.text),
            prompts,
            opts,
            session,
            events,
        ) {
            Ok((control, moved)) => {
                if moved.is_some() {
                    // Another session is open now: show its records (none yet), not the old.
                    ws.switch_session(SessionState::default());
                }
                for id in &ids {
                    ws.set_state(id, RunState::Queued);
                }
                self.run = Some(control);
                moved.unwrap_or_else(|| {
                    format!(
                        "running {} ({} at once, comparisons {})",
                        plural(ids.len(), "prompt"),
                        settings.concurrency,
                        if settings.compare { "on" } else { "off" }
                    )
                })
            }
            Err(e) => format!("cannot run: {e}"),
        }
    }

    /// The model is ready: the prompts that waited for it.
    pub fn take_waiting(&mut self) -> Vec<Prompt> {
        std::mem::take(&mut self.waiting)
    }

    /// The model failed to load: the prompts that waited for it are not run.
    pub fn model_failed(&mut self, ws: &mut Workspace) {
        for prompt in std::mem::take(&mut self.waiting) {
            ws.set_state(&prompt.id, RunState::NotRun);
        }
    }

    /// Cancels one prompt: running, or waiting for the model.
    pub fn cancel(&mut self, prompt_id: &str, ws: &mut Workspace) {
        match &self.run {
            Some(run) => run.cancel(prompt_id),
            None => {
                if let Some(pos) = self.waiting.iter().position(|p| p.id == prompt_id) {
                    self.waiting.remove(pos);
                    ws.set_state(prompt_id, RunState::NotRun);
                }
            }
        }
    }

    /// Cancels the whole run; false if none runs.
    pub fn cancel_all(&self) -> bool {
        match &self.run {
            Some(run) => {
                run.cancel_all();
                true
            }
            None => false,
        }
    }

    /// A run event came in; returns the status line when the run ended.
    pub fn on_event(&mut self, event: &PipelineEvent) -> Option<String> {
        match event {
            PipelineEvent::RunFinished { .. } => {
                self.run = None;
                Some(if self.quitting.is_some() {
                    "every record is written; quitting".into()
                } else {
                    "run finished".into()
                })
            }
            _ => None,
        }
    }

    /// Tries a principle on `prompt` (its recorded initial answer, or a fresh one).
    pub fn start_try(
        &mut self,
        principle_id: &str,
        prompt: Prompt,
        response: Option<String>,
        inputs: RunInputs<'_>,
    ) -> Result<(), String> {
        if self.try_run.is_some() {
            return Err("a try is running: wait for it or cancel it with Esc".into());
        }
        let constitution = Arc::new(inputs.constitution?);
        let ModelState::Ready(models) = inputs.model else {
            return Err("model loading: try again when it is ready".into());
        };
        let events = forward(inputs.tx.clone(), AppEvent::Try);
        let control = bridge::start_try(
            models.clone(),
            constitution,
            principle_id,
            prompt,
            response,
            events,
            inputs.tx.clone(),
        )
        .map_err(|e| format!("cannot try: {e}"))?;
        self.try_run = Some(control);
        Ok(())
    }

    /// Cancels the try; returns the status line.
    pub fn cancel_try(&self) -> String {
        match &self.try_run {
            Some(try_run) => {
                try_run.cancel_all();
                "cancelling the try".into()
            }
            None => "no try is running".into(),
        }
    }

    /// A try event came in; returns the status line when the try ended.
    pub fn on_try_event(&mut self, event: &PipelineEvent) -> Option<String> {
        match event {
            PipelineEvent::RunFinished {
                cancelled, failed, ..
            } => {
                self.try_run = None;
                Some(if *cancelled > 0 {
                    "try cancelled".into()
                } else if *failed > 0 {
                    "try failed".into()
                } else {
                    "try finished".into()
                })
            }
            _ => None,
        }
    }

    /// Quitting: cancels everything running and starts waiting for the records.
    pub fn begin_quit(&mut self, now: Instant) {
        if let Some(run) = &self.run {
            run.cancel_all();
        }
        if let Some(try_run) = &self.try_run {
            try_run.cancel_all();
        }
        self.waiting.clear();
        self.quitting.get_or_insert(now + QUIT_WAIT);
    }

    /// Whether quitting may end now: nothing runs any more, or the wait is over.
    pub fn may_quit(&self, now: Instant) -> bool {
        self.run.is_none() || self.quitting.is_some_and(|until| now >= until)
    }

    /// Whether quit was asked and is waiting for records.
    pub fn is_quitting(&self) -> bool {
        self.quitting.is_some()
    }
}

/// A sender of pipeline events that forwards them into the app's event channel.
fn forward(
    tx: UnboundedSender<AppEvent>,
    wrap: fn(PipelineEvent) -> AppEvent,
) -> UnboundedSender<PipelineEvent> {
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = events_rx.recv().await {
            if tx.send(wrap(event)).is_err() {
                break;
            }
        }
    });
    events_tx
}
