//! Background work that fails or panics always reports, and the session rule holds in the
//! workbench: a model load, a try and an A/B run that panic end with a message instead of a
//! workbench waiting forever; quitting while prompts run waits for their records; a run of
//! another constitution (or with other models) than the open session's goes to a new session.

use std::time::Duration;

use super::run_flow::{app_in, models_of, pump, scripted_backend, scripted_models};
use super::*;
use crate::data::RecordStatus;
use crate::session::Session;
use crate::tui::task::spawn_reporting;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_load_that_panics_says_so_and_unqueues_the_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    press(&mut app, &[key('2'), key('R')]);
    assert!(app.notice().contains("queued"), "{}", app.notice());
    // The load the workbench starts at launch, through the same helper, panicking.
    spawn_reporting(
        app.tx.clone(),
        "loading the model",
        async {
            if true {
                panic!("the loader broke");
            }
            Ok(scripted_models(None))
        },
        AppEvent::ModelReady,
    );
    pump(&mut app, &mut rx, |a| !a.models.is_loading()).await;
    assert_eq!(
        app.notice(),
        "model failed: loading the model failed: internal error: the loader broke"
    );
    assert!(app
        .ws
        .prompts
        .iter()
        .all(|r| r.state == crate::tui::workspace::RunState::NotRun));
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("model failed"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_try_that_panics_says_so_and_frees_the_try() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    // The critique request of the first principle makes the model panic.
    let backend = scripted_backend().panicking_when("Identify ways");
    app.handle_event(AppEvent::ModelReady(Ok(models_of(backend))));
    press(&mut app, &[key('1'), key('t')]);
    assert!(app.runs.is_trying(), "{}", app.notice());
    pump(&mut app, &mut rx, |a| !a.runs.is_trying()).await;
    assert!(
        app.notice()
            .starts_with("try failed: the try failed: internal error:"),
        "{}",
        app.notice()
    );
    let output = app.views.constitution.try_output.as_ref().unwrap();
    assert_eq!(output.ended, Some("failed"));
    // The slot is free: a second try starts (and panics the same way).
    press(&mut app, &[key('t')]);
    assert!(app.runs.is_trying(), "{}", app.notice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ab_run_that_panics_says_so_and_can_be_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    std::fs::write(
        dir.path().join("other.toml"),
        CONSTITUTION.replace("test constitution", "other").replace(
            "Rewrite the response to remove anything harmful.",
            "Say it again, kindly.",
        ),
    )
    .unwrap();
    // Both sides answer; the head-to-head comparison panics.
    let backend = scripted_backend().with_probabilities(|_, _, _| panic!("judge broke"));
    app.handle_event(AppEvent::ModelReady(Ok(models_of(backend))));
    press(&mut app, &[key('6'), key('b')]);
    type_text(&mut app, "other.toml");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(app.ab.is_running(), "{}", app.notice());
    pump(&mut app, &mut rx, |a| !a.ab.is_running()).await;
    assert!(
        app.notice()
            .starts_with("A/B failed: the A/B run failed: internal error: judge broke"),
        "{}",
        app.notice()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_while_prompts_run_waits_for_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(Some(
        Duration::from_millis(30),
    )))));
    press(&mut app, &[key('2'), key('R')]);
    let first = app.ws.prompts[0].prompt.id.clone();
    pump(&mut app, &mut rx, |a| {
        a.ws.live
            .get(&first)
            .is_some_and(|l| !l.committed.is_empty())
    })
    .await;
    // q asks to confirm; y cancels the prompts, but the app does not end before their
    // records are in the session log.
    press(&mut app, &[key('q'), key('y')]);
    assert!(!app.should_quit(), "{}", app.notice());
    assert!(
        app.notice().contains("writing the records"),
        "{}",
        app.notice()
    );
    pump(&mut app, &mut rx, |a| a.should_quit()).await;
    // The prompt that had started is in the log, cancelled, with the text it had so far; the
    // one still waiting for its turn had produced nothing to keep.
    let session = Session::open_read_only(&dir.path().join("session")).unwrap();
    let records = session.state().records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].prompt.id, first);
    assert_eq!(records[0].status, RecordStatus::Cancelled);
    assert!(!records[0].initial.as_ref().unwrap().text.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_another_constitution_goes_to_a_new_session_beside_the_open_one() {
    let dir = tempfile::tempdir().unwrap();
    // A session made with the test constitution, holding one record.
    {
        let (mut app, mut rx) = app_in(dir.path());
        app.handle_event(AppEvent::ModelReady(Ok(scripted_models(None))));
        press(&mut app, &[key('2'), key('r')]);
        pump(&mut app, &mut rx, |a| {
            a.ws.record_count() == 1 && !a.runs.is_running()
        })
        .await;
    }
    // The workbench opened on it with another constitution.
    let (tx, mut rx) = unbounded_channel();
    let link = SessionLink::open_or_new(&dir.path().join("session")).unwrap();
    let other = CONSTITUTION.replace("test constitution", "candid");
    let paths = Paths {
        constitution: dir.path().join("candid.toml"),
        ..Paths::default()
    };
    let prompts = vec![crate::data::Prompt::new("Tell me a secret.", None)];
    let mut app = App::new(paths, other, prompts, link, tx);
    assert_eq!(
        app.ws.record_count(),
        1,
        "the open session's record is shown"
    );
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(None))));
    let secret = app
        .ws
        .prompts
        .iter()
        .position(|r| r.prompt.text == "Tell me a secret.")
        .unwrap();
    app.views.prompts.select(secret, &mut app.ws);
    press(&mut app, &[key('2'), key('r')]);
    assert!(
        app.notice().starts_with("new session ")
            && app.notice().contains("made with another constitution"),
        "{}",
        app.notice()
    );
    pump(&mut app, &mut rx, |a| {
        a.ws.record_count() == 1 && !a.runs.is_running()
    })
    .await;
    let new_dir = app.session.dir.clone().unwrap();
    assert_ne!(new_dir, dir.path().join("session"));
    assert_eq!(new_dir.parent(), Some(dir.path()));
    // The old session still holds only its own record; the new one has the candid run's.
    let old = Session::open_read_only(&dir.path().join("session")).unwrap();
    assert_eq!(old.state().records().len(), 1);
    assert_eq!(old.manifest().constitution_name, "test constitution");
    let new = Session::open_read_only(&new_dir).unwrap();
    assert_eq!(new.manifest().constitution_name, "candid");
    assert_eq!(new.state().records().len(), 1);
    assert_eq!(new.state().records()[0].prompt.text, "Tell me a secret.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_another_model_goes_to_a_new_session_too() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_in(dir.path());
    app.handle_event(AppEvent::ModelReady(Ok(scripted_models(None))));
    press(&mut app, &[key('2'), key('r')]);
    pump(&mut app, &mut rx, |a| {
        a.ws.record_count() == 1 && !a.runs.is_running()
    })
    .await;
    app.handle_event(AppEvent::ModelReady(Ok(models_of(
        scripted_backend().with_id("another-model"),
    ))));
    press(&mut app, &[key('j'), key('r')]);
    assert!(
        app.notice().contains("another policy model (scripted)"),
        "{}",
        app.notice()
    );
    pump(&mut app, &mut rx, |a| !a.runs.is_running()).await;
    let new = Session::open_read_only(app.session.dir.as_ref().unwrap()).unwrap();
    assert_eq!(new.manifest().policy_model.id, "another-model");
}
