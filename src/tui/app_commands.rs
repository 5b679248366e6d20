//! How the app routes what views and popups ask for ([`Command`]) and what background work
//! reports to the part that owns it: runs and tries to the run part, loads to the model part,
//! A/B runs to the A/B part, disk work to the disk part, and their results back to the views
//! and popups that show them. The parts own their state; this file only connects them.

use std::path::PathBuf;

use super::app::App;
use super::parts::ab::{AbRequest, AbUpdate};
use super::parts::disk::Routed;
use super::parts::runs::RunInputs;
use super::views::popups::{InputPurpose, Popup};
use super::views::Command;
use crate::ab::run::Contender;
use crate::data::Prompt;
use crate::model::Models;

impl App {
    /// Carries out what a view or popup asked for.
    pub(crate) fn run_command(&mut self, command: Command) {
        match command {
            Command::None => {}
            Command::Notice(line) => self.notice = line,
            Command::Quit => self.quit_now(),
            Command::Input(purpose, initial) => self.popups.push(Popup::input(purpose, &initial)),
            Command::InputDone(purpose, text) => self.input_done(purpose, text),
            Command::Run(prompts) => self.start_run(prompts),
            Command::Cancel(prompt_id) => self.runs.cancel(&prompt_id, &mut self.ws),
            Command::Try(principle_id) => self.start_try(principle_id),
            Command::CancelTry => self.notice = self.runs.cancel_try(),
            Command::Show(view, id) => {
                if let Some(id) = id {
                    self.ws.current = Some(id);
                }
                self.view = view;
            }
            Command::Review(id, review) => {
                if let Some(line) =
                    self.disk
                        .queue_review(&self.session, &mut self.ws, (id, review, false))
                {
                    self.notice = line;
                }
            }
            Command::UndoReview => {
                if let Some(line) = self.disk.undo_review(&self.session, &mut self.ws) {
                    self.notice = line;
                }
            }
            Command::CancelAb => self.notice = self.ab.cancel(),
            Command::PlanExport(options) => {
                if let Err(why) = self.disk.queue_export_plan(&self.session, *options) {
                    if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
                        dialog.planned(Err(why));
                    }
                }
            }
            Command::Export(options) => match self.disk.queue_export(&self.session, *options) {
                Ok(()) => self.notice = "exporting…".into(),
                Err(why) => self.export_finished(Err(why)),
            },
            Command::Save(path, text) => self.notice = self.disk.queue_save(path, text),
            Command::OpenBlind => {
                let judge = super::views::blind::BlindJudge::new(&self.ws);
                self.popups.push(Popup::Blind(Box::new(judge)));
            }
            Command::OpenArenaBlind => match &self.views.arena.arena {
                Some(arena) => {
                    let judge = super::views::blind::BlindJudge::for_arena(
                        arena.dir.clone(),
                        arena.blind.clone(),
                        rand::random(),
                    );
                    self.popups.push(Popup::Blind(Box::new(judge)));
                }
                None => self.notice = "no arena to judge: run cai ab --contestant ...".into(),
            },
            Command::ArenaPick(dir, pick) => {
                super::parts::arena::spawn_record_pick(dir, *pick, self.tx.clone());
            }
            Command::BlindPick(id, pick) => {
                if let Some(line) = self.disk.queue_blind(&self.session, &mut self.ws, id, pick) {
                    self.notice = line;
                }
            }
            Command::PickModel(choice) => {
                let busy = self.runs.is_running() || self.runs.is_trying();
                self.notice = self.models.pick(*choice, busy, &self.tx);
            }
        }
    }

    /// Quits now if nothing runs; else cancels what runs and waits (see
    /// [`super::parts::runs::QUIT_WAIT`]) for the records of the cancelled prompts.
    fn quit_now(&mut self) {
        self.runs.begin_quit(std::time::Instant::now());
        if self.runs.is_running() {
            self.notice = "stopping: writing the records of the cancelled prompts…".into();
        } else {
            self.quit = true;
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
            InputPurpose::ImportPath => {
                self.notice = self.disk.queue_import(PathBuf::from(text.trim()));
            }
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
                            let count = dialog.set_destination(out);
                            self.run_command(count);
                        }
                    }
                    Err(why) => self.notice = format!("destination not changed: {why}"),
                }
            }
        }
    }

    pub(crate) fn start_run(&mut self, prompts: Vec<Prompt>) {
        let inputs = RunInputs {
            model: &self.models.state,
            constitution: self.views.constitution.valid_constitution(),
            text: self.views.constitution.text(),
            settings: self.views.prompts.run_settings,
            tx: &self.tx,
        };
        self.notice = self
            .runs
            .start(prompts, inputs, &mut self.session, &mut self.ws);
    }

    pub(crate) fn start_try(&mut self, principle_id: String) {
        let Some(prompt) = self.views.prompts.selected_prompt(&self.ws) else {
            self.notice = "select a prompt in view 2 first".into();
            return;
        };
        let response = self
            .ws
            .record(&prompt.id)
            .and_then(|r| r.initial.as_ref())
            .map(|r| r.text.clone());
        let inputs = RunInputs {
            model: &self.models.state,
            constitution: self.views.constitution.valid_constitution(),
            text: self.views.constitution.text(),
            settings: self.views.prompts.run_settings,
            tx: &self.tx,
        };
        let started = self
            .runs
            .start_try(&principle_id, prompt.clone(), response, inputs);
        match started {
            Ok(()) => self.views.constitution.try_started(&principle_id, &prompt),
            Err(why) => self.notice = why,
        }
    }

    /// A model finished loading (or failed to): prompts that waited for it start, or are
    /// not run; a server model's endpoints get as many prompts in flight as their limits add
    /// up to.
    pub(crate) fn model_loaded(&mut self, result: Result<Models, String>) {
        let loaded = self.models.loaded(result);
        self.notice = loaded.notice;
        if let Some(capacity) = loaded.capacity {
            self.views.prompts.run_settings.concurrency = capacity;
        }
        if !loaded.ready {
            self.runs.model_failed(&mut self.ws);
            return;
        }
        let waiting = self.runs.take_waiting();
        if !waiting.is_empty() {
            self.start_run(waiting);
        }
    }

    /// Folds in the result of disk work, routed to its owner.
    pub(crate) fn disk_done(&mut self, done: super::disk::DiskDone) {
        match self.disk.done(done, &mut self.ws, &mut self.notice) {
            Routed::Handled => {}
            Routed::ExportPlan(plan) => {
                if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
                    dialog.planned(plan);
                }
            }
            Routed::Exported(result) => self.export_finished(result),
            Routed::Imported { path, result } => match result {
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
            Routed::Saved { path, text, result } => {
                self.notice = match result {
                    Ok(()) => self.views.constitution.saved(path, &text),
                    Err(e) => format!("not saved: {e}"),
                };
            }
        }
    }

    fn export_finished(&mut self, result: Result<crate::export::ExportSummary, String>) {
        self.notice = match &result {
            Ok(summary) => format!("exported {} file(s)", summary.files.len()),
            Err(e) => format!("export failed: {e}"),
        };
        if let Some(Popup::Export(dialog)) = self.popups.last_mut() {
            dialog.finished(result);
        }
    }

    /// Starts an A/B of the working constitution against the file `typed` names.
    pub(crate) fn start_ab(&mut self, typed: String) {
        let a = match self.views.constitution.valid_constitution() {
            Ok(constitution) => Contender {
                path: self.views.constitution.doc.path.clone(),
                text: self.views.constitution.text().to_string(),
                constitution,
            },
            Err(why) => return self.notice = why,
        };
        let base = parent_or_here(&a.path);
        let b_path = match super::confine::confine(&base, &typed) {
            Ok(path) => path,
            Err(why) => return self.notice = format!("no A/B: {why}"),
        };
        let root = self
            .session
            .dir
            .as_deref()
            .and_then(std::path::Path::parent)
            .map_or_else(|| PathBuf::from("sessions"), std::path::Path::to_path_buf);
        let request = AbRequest {
            a,
            b_path,
            prompts: self.ws.prompts.iter().map(|r| r.prompt.clone()).collect(),
            root,
        };
        match self.ab.start(request, self.models.ready(), &self.tx) {
            Ok(status) => {
                self.views.insights.ab_status = Some(status);
                self.notice = "A/B started".into();
            }
            Err(why) => self.notice = why,
        }
    }

    /// Folds an A/B update in.
    pub(crate) fn ab_update(&mut self, update: AbUpdate) {
        let result = match update {
            AbUpdate::Progress(line) => {
                self.views.insights.ab_status = Some(line);
                return;
            }
            AbUpdate::Finished(result) => {
                self.ab.finished();
                result
            }
            AbUpdate::Earlier(result) => result,
        };
        match result {
            Ok(found) => {
                let (dir, outcome) = *found;
                self.views.insights.ab_status = None;
                self.notice = format!("A/B read from {}", dir.display());
                self.views.insights.ab = Some((dir, outcome));
            }
            Err(why) => {
                self.notice = format!("A/B failed: {why}");
                self.views.insights.ab_status = Some(format!("A/B failed: {why}"));
            }
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
