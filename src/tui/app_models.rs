//! Changing the model from the workbench: the picker (`m`) lists the choices of `cai.toml`;
//! picking one loads it in the background (status lines in the bottom bar, as at start) for
//! the runs that follow. A session records the models it was made with, so when the session
//! already holds a manifest naming other models, the next runs go to a new session beside it.

use std::path::PathBuf;

use super::app::{App, ModelState};
use super::bridge::SessionLink;
use super::event::AppEvent;
use super::views::model_picker::{ModelChoice, ModelPicker};
use super::views::popups::Popup;
use crate::model::loader::load_plan;

impl App {
    /// Opens the picker over the choices the workbench was given.
    pub(crate) fn open_model_picker(&mut self) {
        if self.model_choices.is_empty() {
            self.notice = "no models to choose from (name profiles in cai.toml)".into();
            return;
        }
        self.popups.push(Popup::Models(Box::new(ModelPicker::new(
            self.model_choices.clone(),
        ))));
    }

    /// Loads `choice` in the background, unless prompts are running.
    pub(crate) fn pick_model(&mut self, choice: ModelChoice) {
        if self.run.is_some()
            || self.try_run.is_some()
            || matches!(self.model, ModelState::Loading(_))
        {
            self.notice =
                "the model is busy: wait for the run (or cancel it) before changing the model"
                    .into();
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.notice = "cannot load a model here (no runtime)".into();
            return;
        };
        self.model = ModelState::Loading(vec![format!(
            "loading {}: {}",
            choice.name,
            choice.detail()
        )]);
        self.picked = Some(choice.name.clone());
        let tx = self.tx.clone();
        runtime.spawn(async move {
            let status_tx = tx.clone();
            let status = move |line: String| {
                let _ = status_tx.send(AppEvent::ModelStatus(line));
            };
            let result = load_plan(&choice.plan, true, &status)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(AppEvent::ModelReady(result));
        });
    }

    /// A model finished loading: a server model's endpoints get as many prompts in flight as
    /// their limits add up to; a picked model is announced (see [`App::model_switched`]).
    pub(crate) fn model_loaded(&mut self) {
        if let ModelState::Ready(models) = &self.model {
            if let Some(capacity) = models.policy.capacity() {
                self.views.prompts.run_settings.concurrency = capacity;
            }
        }
        self.model_switched();
    }

    /// After a picked model loaded: says so, and moves later runs to a new session when the
    /// open one was made with other models.
    fn model_switched(&mut self) {
        let Some(name) = self.picked.take() else {
            return;
        };
        let ModelState::Ready(models) = &self.model else {
            return;
        };
        let (policy, feedback) = (models.policy.info(), models.feedback.info());
        let made_with = self.session.for_reading().map(|shared| {
            let session = shared.lock().unwrap_or_else(|e| e.into_inner());
            let m = session.manifest();
            (m.policy_model.clone(), m.feedback_model.clone())
        });
        let Some((old_policy, old_feedback)) = made_with else {
            self.notice = format!("model {name} ready");
            return;
        };
        if old_policy.id == policy.id
            && old_feedback.id == feedback.id
            && old_policy.server == policy.server
        {
            self.notice = format!("model {name} ready");
            return;
        }
        let parent = self
            .session
            .dir
            .as_ref()
            .and_then(|d| d.parent().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("sessions"));
        let dir = parent.join(format!(
            "{}-{}",
            chrono::Local::now().format("%Y%m%d-%H%M%S"),
            slug(&name)
        ));
        match SessionLink::open_or_new(&dir) {
            Ok(link) => {
                self.session = link;
                self.notice = format!(
                    "model {name} ready; the open session was made with {}, so new runs go to {}",
                    old_policy.id,
                    dir.display()
                );
            }
            Err(e) => self.notice = format!("model {name} ready, but no new session: {e}"),
        }
    }
}

/// A profile name fit for a directory name.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
