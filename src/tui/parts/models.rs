//! The model part: where the model is (loading, ready, failed), what the picker (`m`) offers,
//! and the choice being loaded from it. Picking one loads it in the background, with status
//! lines in the bottom bar as at start. A session belongs to one pair of models, so after a
//! switch the next run goes to a new session if the open one was made with others (the run
//! part says so when it happens).

use tokio::sync::mpsc::UnboundedSender;

use crate::model::choices::ModelChoice;
use crate::model::loader::load_plan;
use crate::model::Models;
use crate::tui::event::AppEvent;
use crate::tui::task::spawn_reporting;
use crate::tui::views::model_picker::ModelPicker;

/// Where the model is.
pub enum ModelState {
    /// Loading; the status lines so far.
    Loading(Vec<String>),
    Ready(Models),
    Failed(String),
}

/// The model part's state.
pub struct ModelPart {
    pub state: ModelState,
    /// What the model picker offers.
    pub choices: Vec<ModelChoice>,
    /// The choice being loaded from the picker, if one is.
    picked: Option<String>,
}

impl Default for ModelPart {
    fn default() -> Self {
        ModelPart {
            state: ModelState::Loading(Vec::new()),
            choices: Vec::new(),
            picked: None,
        }
    }
}

/// What a finished load changes.
pub struct Loaded {
    /// The line for the status bar.
    pub notice: String,
    /// Prompts the loaded model takes at once, when it says (a server pool's limits).
    pub capacity: Option<usize>,
    /// Whether the load succeeded.
    pub ready: bool,
}

impl ModelPart {
    /// The loaded models, once ready.
    pub fn ready(&self) -> Option<&Models> {
        match &self.state {
            ModelState::Ready(models) => Some(models),
            _ => None,
        }
    }

    /// Whether a load is under way.
    pub fn is_loading(&self) -> bool {
        matches!(self.state, ModelState::Loading(_))
    }

    /// A status line of the load under way.
    pub fn status(&mut self, line: String) {
        if let ModelState::Loading(lines) = &mut self.state {
            lines.push(line);
        }
    }

    /// A load finished (the first, or a picked model's).
    pub fn loaded(&mut self, result: Result<Models, String>) -> Loaded {
        let picked = self.picked.take();
        match result {
            Ok(models) => {
                let capacity = models.policy.capacity();
                self.state = ModelState::Ready(models);
                Loaded {
                    notice: match picked {
                        Some(name) => format!("model {name} ready"),
                        None => "model ready".into(),
                    },
                    capacity,
                    ready: true,
                }
            }
            Err(message) => {
                let notice = format!("model failed: {message}");
                self.state = ModelState::Failed(message);
                Loaded {
                    notice,
                    capacity: None,
                    ready: false,
                }
            }
        }
    }

    /// The picker over the choices the workbench was given, or why there is none.
    pub fn picker(&self) -> Result<ModelPicker, String> {
        if self.choices.is_empty() {
            return Err("no models to choose from (name profiles in cai.toml)".into());
        }
        Ok(ModelPicker::new(self.choices.clone()))
    }

    /// Loads `choice` in the background, unless the model is busy (`busy`: prompts or a try
    /// are running). Returns the line for the status bar.
    pub fn pick(
        &mut self,
        choice: ModelChoice,
        busy: bool,
        tx: &UnboundedSender<AppEvent>,
    ) -> String {
        if busy || self.is_loading() {
            return "the model is busy: wait for the run (or cancel it) before changing the model"
                .into();
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return "cannot load a model here (no runtime)".into();
        }
        self.state = ModelState::Loading(vec![format!(
            "loading {}: {}",
            choice.name,
            choice.detail()
        )]);
        self.picked = Some(choice.name.clone());
        let status_tx = tx.clone();
        spawn_reporting(
            tx.clone(),
            "loading the model",
            async move {
                let status = move |line: String| {
                    let _ = status_tx.send(AppEvent::ModelStatus(line));
                };
                load_plan(&choice.plan, true, &status)
                    .await
                    .map_err(|e| e.to_string())
            },
            AppEvent::ModelReady,
        );
        format!(
            "loading model {}",
            self.picked.as_deref().unwrap_or_default()
        )
    }
}
