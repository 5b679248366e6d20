//! How the app carries out the [`Command`]s views and popups return: starting and cancelling
//! runs (queued while the model loads), trying a principle, text input results, review
//! decisions, export, import and saves (handed to the disk worker, see `app_disk`).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::app::{App, ModelState};
use super::bridge;
use super::event::AppEvent;
use super::views::popups::{InputPurpose, Popup};
use super::views::prompts::plural;
use super::views::Command;
use super::workspace::RunState;
use crate::pipeline::runner::RunOptions;
use crate::pipeline::Prompt;

impl App {
    /// Carries out what a view or popup asked for.
    pub(crate) fn run_command(&mut self, command: Command) {
        match command {
            Command::None => {}
            Command::Notice(line) => self.notice = line,
            Command::Quit => {
                if let Some(run) = &self.run {
                    run.cancel_all();
                }
                if let Some(try_run) = &self.try_run {
                    try_run.cancel_all();
                }
                self.quit = true;
            }
            Command::Input(purpose, initial) => self.popups.push(Popup::input(purpose, &initial)),
            Command::InputDone(purpose, text) => self.input_done(purpose, text),
            Command::Run(prompts) => self.start_run(prompts),
            Command::Cancel(prompt_id) => match &self.run {
                Some(run) => run.cancel(&prompt_id),
                None => {
                    if let Some(pos) = self.waiting.iter().position(|p| p.id == prompt_id) {
                        self.waiting.remove(pos);
                        self.ws.set_state(&prompt_id, RunState::NotRun);
                    }
                }
            },
            Command::Try(principle_id) => self.start_try(principle_id),
            Command::CancelTry => match &self.try_run {
                Some(try_run) => {
                    try_run.cancel_all();
                    self.notice = "cancelling the try".into();
                }
                None => self.notice = "no try is running".into(),
            },
            Command::Show(view, id) => {
                if let Some(id) = id {
                    self.ws.current = Some(id);
                }
                self.view = view;
            }
            Command::Review(id, review) => self.queue_review(id, review, false),
            Command::UndoReview => self.undo_review(),
            Command::CancelAb => self.cancel_ab(),
            Command::Export(choice) => self.queue_export(choice),
            Command::Save(path, text) => self.queue_save(path, text),
            Command::PickModel(choice) => self.pick_model(*choice),
        }
    }

    pub(crate) fn input_done(&mut self, purpose: InputPurpose, text: String) {
        match purpose {
            InputPurpose::NewPrompt => {
                let text = text.trim().to_string();
                if text.is_empty() {
                    return;
                }
                self.ws
                    .add_prompts(vec![Prompt::new(text, Some("typed".into()))]);
                self.views.prompts.select_last(&self.ws);
                self.notice = "prompt added".into();
            }
            InputPurpose::ImportPath => self.queue_import(PathBuf::from(text.trim())),
            InputPurpose::SaveAs => {
                let base = parent_or_here(&self.views.constitution.doc.path);
                match super::confine::confine(&base, &text) {
                    Ok(path) => {
                        let command = self.views.constitution.save_as(path);
                        self.run_command(command);
                    }
                    Err(why) => self.notice = format!("not saved: {why}"),
                }
            }
            InputPurpose::Search => self.views.review.set_search(text),
            InputPurpose::AbConstitution => self.start_ab(text),
            InputPurpose::EditReview(id) => {
                let command = self.views.review.edited(&self.ws, &id, text);
                self.run_command(command);
            }
            InputPurpose::ExportDestination => {
                let base = self
                    .session
                    .dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("."));
                match super::confine::confine(&base, &text) {
                    Ok(out) => {
                        if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
                            dialog.set_destination(&self.session, out);
                        }
                    }
                    Err(why) => self.notice = format!("destination not changed: {why}"),
                }
            }
        }
    }

    pub(crate) fn start_run(&mut self, prompts: Vec<Prompt>) {
        if prompts.is_empty() {
            self.notice = "nothing to run".into();
            return;
        }
        let constitution = match self.views.constitution.valid_constitution() {
            Ok(c) => Arc::new(c),
            Err(message) => {
                self.notice = message;
                return;
            }
        };
        let models = match &self.model {
            ModelState::Ready(models) => models.clone(),
            ModelState::Loading(_) => {
                for prompt in &prompts {
                    self.ws.set_state(&prompt.id, RunState::Queued);
                }
                self.notice = format!("model loading: {} queued", plural(prompts.len(), "prompt"));
                self.waiting.extend(prompts);
                return;
            }
            ModelState::Failed(e) => {
                self.notice = format!("cannot run: the model failed to load ({e})");
                return;
            }
        };
        if self.run.is_some() {
            self.notice = "a run is in progress; wait for it or cancel it".into();
            return;
        }
        let ids: Vec<String> = prompts.iter().map(|p| p.id.clone()).collect();
        let events = forward(self.tx.clone(), AppEvent::Pipeline);
        let settings = self.views.prompts.run_settings;
        let opts = RunOptions {
            concurrency: settings.concurrency,
            compare: settings.compare,
            rounds: None,
        };
        let text = self.views.constitution.text().to_string();
        match bridge::start_run(
            models,
            (constitution, &text),
            prompts,
            opts,
            &mut self.session,
            events,
        ) {
            Ok(control) => {
                for id in &ids {
                    self.ws.set_state(id, RunState::Queued);
                }
                self.notice = format!(
                    "running {} ({} at once, comparisons {})",
                    plural(ids.len(), "prompt"),
                    settings.concurrency,
                    if settings.compare { "on" } else { "off" }
                );
                self.run = Some(control);
            }
            Err(e) => self.notice = format!("cannot run: {e}"),
        }
    }

    pub(crate) fn start_try(&mut self, principle_id: String) {
        if self.try_run.is_some() {
            self.notice = "a try is running: wait for it or cancel it with Esc".into();
            return;
        }
        let Some(prompt) = self.views.prompts.selected_prompt(&self.ws) else {
            self.notice = "select a prompt in view 2 first".into();
            return;
        };
        let constitution = match self.views.constitution.valid_constitution() {
            Ok(c) => Arc::new(c),
            Err(message) => return self.notice = message,
        };
        let ModelState::Ready(models) = &self.model else {
            self.notice = "model loading: try again when it is ready".into();
            return;
        };
        let response = self
            .ws
            .records
            .get(&prompt.id)
            .and_then(|r| r.initial.as_ref())
            .map(|r| r.text.clone());
        let events = forward(self.tx.clone(), AppEvent::Try);
        match bridge::start_try(
            models.clone(),
            constitution,
            &principle_id,
            prompt.clone(),
            response,
            events,
        ) {
            Ok(control) => {
                self.views.constitution.try_started(&principle_id, &prompt);
                self.try_run = Some(control);
            }
            Err(e) => self.notice = format!("cannot try: {e}"),
        }
    }
}

/// The directory of a file (`.` for a bare file name).
pub(crate) fn parent_or_here(path: &std::path::Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A sender of pipeline events that forwards them into the app's event channel.
fn forward(
    tx: UnboundedSender<AppEvent>,
    wrap: fn(crate::pipeline::PipelineEvent) -> AppEvent,
) -> UnboundedSender<crate::pipeline::PipelineEvent> {
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
