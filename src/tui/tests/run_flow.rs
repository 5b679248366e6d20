//! The end-to-end flow on the real runner and session with a scripted model: queue prompts
//! while the model loads, run them with streamed tokens, open the diff, approve, export; and
//! cancelling a run keeps the partial text marked cancelled.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::data::{Prompt, RecordStatus};
use crate::model::scripted::ScriptedBackend;
use crate::model::Models;
use crate::tui::bridge::SessionLink;
use crate::tui::views::inspector::DiffMode;
use crate::tui::views::ViewId;
use crate::tui::workspace::RunState;

pub(super) fn scripted_backend() -> ScriptedBackend {
    ScriptedBackend::new()
        .with_rule(
            "Rewrite",
            "I can't help with that, but here is safe general advice.",
        )
        .with_rule(
            "harmful",
            "The response explains a risky method without caution.",
        )
        .with_default_reply(|_| "Sure, here is exactly how to do the risky thing.".to_string())
        .with_fixed_probabilities(vec![0.3, 0.7])
}

pub(super) fn scripted_models(delay: Option<Duration>) -> Models {
    let mut backend = scripted_backend();
    if let Some(delay) = delay {
        backend = backend.with_token_delay(delay);
    }
    models_of(backend)
}

/// One backend as policy and feedback model.
pub(super) fn models_of(backend: ScriptedBackend) -> Models {
    let backend: Arc<dyn crate::model::Backend> = Arc::new(backend);
    Models {
        policy: backend.clone(),
        feedback: backend,
    }
}

/// Feeds app events until `done` holds or the time runs out.
pub(super) async fn pump(
    app: &mut App,
    rx: &mut UnboundedReceiver<AppEvent>,
    done: impl Fn(&App) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) => app.handle_event(event),
            _ => panic!("timed out; notice: {}", app.notice()),
        }
    }
}

pub(super) fn app_in(dir: &std::path::Path) -> (App, UnboundedReceiver<AppEvent>) {
    let (tx, rx) = unbounded_channel();
    let session = SessionLink::open_or_new(&dir.join("session")).unwrap();
    let paths = Paths {
        constitution: dir.join("c.toml"),
        ..Paths::default()
    };
    let prompts = vec![
        Prompt::new("How do I pick a lock?", None),
        Prompt::new("How do I hurt someone?", None),
    ];
    (
        App::new(paths, CONSTITUTION.to_string(), prompts, session, tx),
        rx,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_inspect_approve_export() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    // Asked before the model is ready: queued.
    press(&mut app, &[key('2'), key('R')]);
    assert!(app.ws.prompts.iter().all(|r| r.state == RunState::Queued));
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(None))));
    pump(&mut app, &mut rx, |a| {
        a.ws.record_count() == 2 && !a.runs.is_running()
    })
    .await;
    assert!(app.ws.tokens_total > 0, "tokens should have streamed");
    assert!(app.ws.prompts.iter().all(|r| r.state == RunState::Done));

    // Open the first record and its initial-vs-final diff.
    press(&mut app, &[key('g'), code(KeyCode::Enter)]);
    assert_eq!(app.view(), ViewId::Inspector);
    press(&mut app, &[key('d'), key('d')]);
    assert_eq!(app.views.inspector.diff, DiffMode::InitialFinal);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("Initial → final revision"), "{screen}");

    // Approve both and export.
    press(&mut app, &[key('5'), key('a'), key('a')]);
    pump(&mut app, &mut rx, |a| a.disk.pending() == 0).await;
    assert_eq!(app.ws.review_counts(), (2, 0, 0));
    press(&mut app, &[key('x'), code(KeyCode::Enter)]);
    pump(&mut app, &mut rx, |a| a.disk.pending() == 0).await;
    let out = dir.path().join("session").join("export");
    let sft = std::fs::read_to_string(out.join("sft.jsonl")).unwrap();
    assert_eq!(sft.lines().count(), 2, "{sft}");
    assert!(sft.contains("safe general advice"), "{sft}");
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("written:"), "{screen}");

    // Reopening the session shows the same records and reviews.
    let (app2, _rx2) = app_in(dir.path());
    assert_eq!(app2.ws.record_count(), 2);
    assert_eq!(app2.ws.review_counts(), (2, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_keeps_partial_text_marked_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(Some(
        Duration::from_millis(20),
    )))));
    press(&mut app, &[key('2'), key('r')]);
    let id = app.ws.prompts[0].prompt.id.clone();
    pump(&mut app, &mut rx, |a| {
        a.ws.live.get(&id).is_some_and(|l| !l.committed.is_empty())
    })
    .await;
    press(&mut app, &[code(KeyCode::Esc)]);
    pump(&mut app, &mut rx, |a| a.ws.record(&id).is_some()).await;
    assert_eq!(app.ws.record(&id).unwrap().status, RecordStatus::Cancelled);
    assert_eq!(app.ws.prompts[0].state, RunState::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_settings_turn_comparisons_off_and_run_prompts_together() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(None))));
    // Comparisons off, one more at once than the default (+ twice, - once; the floor is 1).
    let start = crate::pipeline::runner::DEFAULT_CONCURRENCY;
    press(
        &mut app,
        &[key('2'), key('f'), key('+'), key('+'), key('-')],
    );
    let settings = app.views.prompts.run_settings;
    assert!(!settings.compare);
    assert_eq!(settings.concurrency, start + 1);
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains(&format!(
            "next run: {} at once · comparisons off",
            start + 1
        )),
        "{screen}"
    );
    press(&mut app, &[key('R')]);
    assert!(
        app.notice()
            .contains(&format!("{} at once, comparisons off", start + 1)),
        "{}",
        app.notice()
    );
    pump(&mut app, &mut rx, |a| {
        a.ws.record_count() == 2 && !a.runs.is_running()
    })
    .await;
    assert!(app
        .ws
        .session
        .records()
        .iter()
        .all(|r| r.comparison.is_none()));
    for _ in 0..start + 5 {
        press(&mut app, &[key('-')]);
    }
    assert_eq!(app.views.prompts.run_settings.concurrency, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_try_can_be_cancelled_and_only_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(Some(
        Duration::from_millis(20),
    )))));
    // Try the first principle on the first prompt, then ask for a second try at once.
    press(&mut app, &[key('1'), key('t'), key('t')]);
    assert!(app.runs.is_trying());
    assert!(
        app.notice().contains("a try is running"),
        "{}",
        app.notice()
    );
    let streaming = |a: &App| {
        a.views
            .constitution
            .try_output
            .as_ref()
            .is_some_and(|o| !o.live.partial().is_empty())
    };
    pump(&mut app, &mut rx, streaming).await;
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("running · Esc cancels"), "{screen}");
    press(&mut app, &[code(KeyCode::Esc)]);
    pump(&mut app, &mut rx, |a| !a.runs.is_trying()).await;
    assert_eq!(app.notice(), "try cancelled");
    let output = app.views.constitution.try_output.as_ref().unwrap();
    assert_eq!(output.ended, Some("cancelled"));
    // Esc again has nothing to cancel.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.notice(), "no try is running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ab_run_from_the_insights_view_shows_both_constitutions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    let other = CONSTITUTION.replace("test constitution", "other").replace(
        "Rewrite the response to remove anything harmful.",
        "Rewrite it kindly.",
    );
    std::fs::write(dir.path().join("other.toml"), other).unwrap();
    press(&mut app, &[key('6'), key('b')]);
    type_text(&mut app, "other.toml");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(app.notice().contains("model loading"), "{}", app.notice());
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(None))));
    press(&mut app, &[key('b')]);
    type_text(&mut app, "../outside.toml");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(app.notice().starts_with("no A/B"), "{}", app.notice());
    press(&mut app, &[key('b')]);
    type_text(&mut app, "other.toml");
    press(&mut app, &[code(KeyCode::Enter)]);
    pump(&mut app, &mut rx, |a| a.views.insights.ab.is_some()).await;
    let (ab_dir, outcome) = app.views.insights.ab.clone().unwrap();
    assert!(ab_dir.starts_with(dir.path()), "{}", ab_dir.display());
    assert_eq!(outcome.sides[0].name, "test constitution");
    assert_eq!(outcome.sides[1].name, "other");
    let red = outcome.matrix.iter().filter(|row| !row.benign).count();
    assert_eq!(red, 2, "the two listed prompts");
    let benign = outcome.matrix.len() - red;
    assert_eq!(
        benign, 10,
        "none listed: the first ten of the shipped benign set"
    );
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("B other"), "{screen}");
}
