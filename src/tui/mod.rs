//! The terminal workbench: shows core state and sends the core commands; never blocks on the model.
//!
//! - [`app`]: the state and its reactions ([`App`]), drivable without a terminal; it routes
//!   events and commands to the views and to the [`parts`] that own background work (runs,
//!   the model, A/B runs, disk work), each started through [`task::spawn_reporting`].
//! - [`event`]: the one [`AppEvent`] type and the input reader task.
//! - [`keymap`]: every binding, one table per context; the key bar and help come from it.
//! - [`views`]: one screen per file, plus chrome and popups; [`widgets`]: diff, bars, TOML.
//! - [`workspace`]: prompts, records, reviews and streaming text as the views see them;
//!   [`live_text`]: one running prompt's streaming text.
//! - [`bridge`]: the calls into the core; [`terminal`]: raw mode, restore on panic or error.
//! - [`bench`]: timing of frame drawing on large synthetic sessions.

pub mod app;
mod app_commands;
pub mod bench;
pub mod bench_latency;
pub mod bridge;
pub mod confine;
pub mod decision;
pub mod disk;
pub mod event;
pub mod keymap;
pub mod live_text;
pub mod parts;
pub mod task;
pub mod terminal;
pub mod views;
pub mod widgets;
pub mod workspace;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use futures::future::BoxFuture;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

pub use app::App;
pub use bench::{bench_draw, DrawBenchReport};
pub use event::AppEvent;

use crate::model::{ModelError, Models};

/// What the workbench opens.
#[derive(Debug, Clone, Default)]
pub struct TuiConfig {
    /// The constitution file to edit (created on first save if missing).
    pub constitution_path: PathBuf,
    /// A prompt file to list at start, if any.
    pub prompts_path: Option<PathBuf>,
    /// The session directory records and reviews go to.
    pub session_dir: PathBuf,
    /// Where logs go (shown to the user; logging itself is set up by the caller).
    pub log_path: Option<PathBuf>,
    /// What the model picker offers (`m`), the choice the workbench opened with first.
    pub model_choices: Vec<crate::model::choices::ModelChoice>,
}

/// Builds the app from the configuration: reads the constitution, the prompts and the session.
pub fn build_app(
    config: &TuiConfig,
    tx: tokio::sync::mpsc::UnboundedSender<AppEvent>,
) -> anyhow::Result<App> {
    let text = match std::fs::read_to_string(&config.constitution_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => anyhow::bail!("cannot read {}: {e}", config.constitution_path.display()),
    };
    let prompts = match &config.prompts_path {
        Some(path) => crate::prompts::load_prompts(path)?,
        None => Vec::new(),
    };
    let session =
        bridge::SessionLink::open_or_new(&config.session_dir).map_err(anyhow::Error::msg)?;
    let paths = app::Paths {
        constitution: config.constitution_path.clone(),
        prompts: config.prompts_path.clone(),
        session: Some(config.session_dir.clone()),
    };
    let mut app = App::new(paths, text, prompts, session, tx);
    if let Some(log) = &config.log_path {
        app.notice = format!("log: {}", log.display());
    }
    app.models.choices = config.model_choices.clone();
    Ok(app)
}

/// Runs the workbench until the user quits. The first frame is drawn at once; `models` is
/// awaited in the background while `load_status` lines are shown, and runs asked for before
/// it is ready are queued.
pub async fn run(
    config: TuiConfig,
    models: BoxFuture<'static, Result<Models, ModelError>>,
    mut load_status: UnboundedReceiver<String>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = unbounded_channel();
    let mut app = build_app(&config, tx.clone())?;

    task::spawn_reporting(
        tx.clone(),
        "loading the model",
        async move { models.await.map_err(|e| e.to_string()) },
        AppEvent::ModelReady,
    );
    let status_tx = tx.clone();
    tokio::spawn(async move {
        while let Some(line) = load_status.recv().await {
            if status_tx.send(AppEvent::ModelStatus(line)).is_err() {
                break;
            }
        }
    });

    if let Some(root) = config.session_dir.parent() {
        parts::ab::spawn_load_latest(root.to_path_buf(), tx.clone());
        spawn_load_latest_eval(root.to_path_buf(), tx.clone());
        parts::arena::spawn_load_latest(root.to_path_buf(), tx.clone());
    }

    let mut term = terminal::Tui::enter()?;
    let input = event::spawn_input_reader(tx.clone());
    let result = event_loop(&mut app, &mut term, &mut rx).await;
    input.abort();
    term.leave()?;
    result
}

/// Draws when dirty, waits for an event, drains every queued one, repeats until quit.
async fn event_loop(
    app: &mut App,
    term: &mut terminal::Tui,
    rx: &mut UnboundedReceiver<AppEvent>,
) -> anyhow::Result<()> {
    loop {
        if app.take_dirty() {
            term.draw(app)?;
        }
        let Some(event) = rx.recv().await else { break };
        app.handle_event(event);
        while let Ok(event) = rx.try_recv() {
            app.handle_event(event);
        }
        if app.should_quit() {
            break;
        }
    }
    Ok(())
}

/// Reads the latest judge eval under `root` (off the UI thread) and sends it to the workbench.
pub fn spawn_load_latest_eval(root: PathBuf, tx: tokio::sync::mpsc::UnboundedSender<AppEvent>) {
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = crate::eval::latest(&root) {
            let result = crate::eval::load(&dir).map(|saved| Box::new((dir, saved)));
            let _ = tx.send(AppEvent::Eval(result));
        }
    });
}
